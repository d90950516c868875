import { Injectable, Logger, ServiceUnavailableException } from '@nestjs/common';
import {
  HealthCheckResult,
  HealthCheckService,
  HealthIndicatorFunction,
  HealthIndicatorService,
  TypeOrmHealthIndicator,
} from '@nestjs/terminus';
import { AppConfig } from '../config/app-config';
import { DispatchMetrics } from '../metrics/dispatch.metrics';
import { HealthRepository } from './health.repository';
import { maxTickAgeMs } from './scheduler-health';

/** A database that takes longer than this to answer counts as down: a probe must answer promptly. */
const CHECK_TIMEOUT_MS = 1_000;

export interface HealthAnswer {
  readonly statusCode: 200 | 503;
  readonly body: HealthCheckResult | { status: 'ok' };
}

/**
 * Liveness and readiness, for the api's /health routes and a worker's probe listener alike.
 * Ready: PostgreSQL answers, every migration of this build is applied, and, where the scheduler runs, it
 * ticked lately (see maxTickAgeMs: three of its intervals, 10 s at least).
 */
@Injectable()
export class HealthService {
  private readonly logger = new Logger(HealthService.name);
  private readonly maxTickAgeMs: number;
  private wasReady: boolean | undefined;

  constructor(
    private readonly health: HealthCheckService,
    private readonly database: TypeOrmHealthIndicator,
    private readonly indicators: HealthIndicatorService,
    private readonly repository: HealthRepository,
    private readonly dispatch: DispatchMetrics,
    private readonly config: AppConfig,
  ) {
    this.maxTickAgeMs = maxTickAgeMs(config.DISPATCH_CRON);
  }

  /** The process is up and its event loop turns; nothing else, so a database outage never restarts it. */
  live(): HealthAnswer {
    return { statusCode: 200, body: { status: 'ok' } };
  }

  async ready(): Promise<HealthAnswer> {
    const checks: HealthIndicatorFunction[] = [
      () => this.database.pingCheck('database', { timeout: CHECK_TIMEOUT_MS }),
      () => this.migrations(),
      ...(this.config.runsWorker ? [() => this.scheduler()] : []),
    ];
    try {
      const body = await this.health.check(checks);
      this.noteChange(true, body);
      return { statusCode: 200, body };
    } catch (error) {
      if (!(error instanceof ServiceUnavailableException)) throw error;
      const body = error.getResponse() as HealthCheckResult;
      this.noteChange(false, body);
      return { statusCode: 503, body };
    }
  }

  private migrations() {
    return this.indicators
      .check('migrations')
      .attempt(async () => {
        const pending = await this.repository.pendingMigrations();
        if (pending.length > 0) throw new Error(`not applied: ${pending.join(', ')}`);
      })
      .withTimeout(CHECK_TIMEOUT_MS);
  }

  private scheduler() {
    const session = this.indicators.check('scheduler');
    const last = this.dispatch.lastTickAt;
    const state = { lastTickAt: last?.toISOString() ?? null, maxAgeSeconds: this.maxTickAgeMs / 1000 };
    return last && Date.now() - last.getTime() <= this.maxTickAgeMs ? session.up(state) : session.down(state);
  }

  /** One line when readiness flips, not one per probe. */
  private noteChange(ready: boolean, body: HealthCheckResult): void {
    if (this.wasReady === ready) return;
    if (ready) this.logger.log({ event: 'readiness', ready, status: body.status });
    else this.logger.warn({ event: 'readiness', ready, status: body.status, error: body.error });
    this.wasReady = ready;
  }
}
