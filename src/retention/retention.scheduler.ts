import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { RetentionService } from './retention.service';
import { errorMessage } from '../common/error-message';

/**
 * Runs retention every RETENTION_INTERVAL in a process whose APP_ROLE includes the worker, when
 * MESSAGE_RETENTION or DEDUP_RETENTION is set. Thin on purpose: the work is RetentionService's. A run
 * that outlasts the interval is not overlapped by the next: the next starts an interval after it ends.
 */
@Injectable()
export class RetentionScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(RetentionScheduler.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly retention: RetentionService,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.runsWorker || !this.retention.enabled) return;
    this.logger.log(
      `retention: messages ${this.config.MESSAGE_RETENTION ?? 'kept'}, dedup records ${this.config.DEDUP_RETENTION ?? 'kept'}, every ${this.config.RETENTION_INTERVAL}`,
    );
    this.schedule(0);
  }

  private schedule(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick().finally(() => this.schedule(this.config.retentionIntervalMs));
    }, delayMs);
    // Never what keeps the process alive.
    this.timer.unref();
  }

  private async tick(): Promise<void> {
    try {
      await this.retention.run();
    } catch (error) {
      // The database may be away; the next run tries again.
      this.logger.error(`retention run failed: ${errorMessage(error)}`);
    }
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    this.retention.stop();
    await this.running;
  }
}
