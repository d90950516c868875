import { BeforeApplicationShutdown, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { CallbackDeliveryService } from './callback-delivery.service';
import { errorMessage } from '../common/error-message';

/**
 * The callbacks' poll loop, in a process whose APP_ROLE includes the worker: drain what is due, then look
 * again after CALLBACK_POLL_INTERVAL_MS (a drain goes on while whole batches come back, so a backlog is
 * not paced by the interval). Thin on purpose: the work is CallbackDeliveryService's.
 */
@Injectable()
export class CallbacksWorker implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger(CallbacksWorker.name);
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = false;

  constructor(
    private readonly delivery: CallbackDeliveryService,
    private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    if (!this.config.runsWorker) return;
    this.logger.log(`delivering callbacks, looking every ${this.config.CALLBACK_POLL_INTERVAL_MS} ms`);
    this.next(0);
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopped = true;
    clearTimeout(this.timer);
    await this.delivery.stop();
    await this.running;
  }

  private next(delayMs: number): void {
    if (this.stopped) return;
    this.timer = setTimeout(() => {
      this.running = this.tick();
    }, delayMs);
  }

  private async tick(): Promise<void> {
    try {
      const summary = await this.delivery.deliverDue();
      if (summary.claimed > 0) this.logger.log({ event: 'callbacks_tick', ...summary });
    } catch (error) {
      // The database may be away; the next look tries again.
      this.logger.error(`callback delivery failed: ${errorMessage(error)}`);
    }
    this.next(this.config.CALLBACK_POLL_INTERVAL_MS);
  }
}
