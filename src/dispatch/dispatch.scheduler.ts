import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { Cron, CronExpression, SchedulerRegistry } from '@nestjs/schedule';
import { CronTime } from 'cron';
import { AppConfig } from '../config/app-config';
import { DispatchMetrics } from '../metrics/dispatch.metrics';
import { DispatchService } from './dispatch.service';
import { errorMessage } from '../common/error-message';

const DISPATCH_JOB = 'dispatch';

/**
 * The sweep: every tick, drain what is due. Thin on purpose: the work is DispatchService's.
 * The decorator carries the default schedule; DISPATCH_CRON replaces it at start-up, and the job runs only
 * in a process whose APP_ROLE includes the worker.
 */
@Injectable()
export class DispatchScheduler implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(DispatchScheduler.name);

  constructor(
    private readonly dispatch: DispatchService,
    private readonly schedules: SchedulerRegistry,
    private readonly config: AppConfig,
    private readonly metrics: DispatchMetrics,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.runsWorker) return;
    const job = this.schedules.getCronJob(DISPATCH_JOB);
    job.setTime(new CronTime(this.config.DISPATCH_CRON));
    job.start();
    this.logger.log(`dispatching on "${this.config.DISPATCH_CRON}"`);
    // Don't make messages that came due while we were down wait for the first tick.
    void this.sweep();
  }

  /**
   * Starts a drain for each messenger that is not draining already: a messenger still busy from an
   * earlier tick (a long, paced burst) is left to it, and the others are not held up by it.
   */
  @Cron(CronExpression.EVERY_10_SECONDS, { name: DISPATCH_JOB, disabled: true })
  async sweep(): Promise<void> {
    // The tick itself is what readiness checks: a long drain (a paced burst) is the scheduler working.
    this.metrics.tickStarted();
    try {
      const summary = await this.dispatch.dispatchDue();
      this.metrics.tickFinished(summary.claimed);
      if (summary.claimed > 0) this.logger.log({ event: 'dispatch_tick', ...summary });
    } catch (error) {
      // The database may be away; the next tick tries again.
      this.logger.error(`dispatch tick failed: ${errorMessage(error)}`);
    }
  }

  /** Stops claiming, and waits for the batches in hand so their outcomes are written while the database is up. */
  async beforeApplicationShutdown(): Promise<void> {
    if (this.config.runsWorker) void this.schedules.getCronJob(DISPATCH_JOB).stop();
    await this.dispatch.stop();
  }
}
