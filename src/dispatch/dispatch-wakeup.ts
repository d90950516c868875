import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import type { Notification } from 'pg';
import { AppConfig } from '../config/app-config';
import { BoundedPgClient, boundedClientOptions } from '../database/bounded-pg-client';
import { isMessengerName, MESSENGER_NAMES, MessengerName } from '../providers/messengers';
import { DispatchRepository } from './dispatch.repository';
import { DispatchService } from './dispatch.service';
import { errorMessage } from '../common/error-message';

/** The channel MessageIngest notifies on commit; the payload is `provider:dueAtMs[,…]`. */
export const MESSAGES_DUE_CHANNEL = 'messages_due';

/** After a drain that found nothing to claim, the least wait before looking again. */
const IDLE_RETRY_MS = 1000;

const TIMER_SLACK_MS = 5;

/** Timers look no further ahead than this; the sweep and the next look cover anything later. */
const MAX_TIMER_MS = 60_000;

/**
 * Starts a drain the moment work arrives or comes due, so a message doesn't wait for the 10-second
 * sweep: the API process NOTIFYs on commit (a worker elsewhere hears it through PostgreSQL), and after
 * each drain a timer is set for the messenger's next due message (a scheduled send_at, a retry's
 * backoff, a lease). The sweep stays as the safety net. Worker role only.
 */
@Injectable()
export class DispatchWakeup implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(DispatchWakeup.name);
  private readonly timers = new Map<MessengerName, { at: number; timer: NodeJS.Timeout }>();
  private listener?: BoundedPgClient;
  private stopped = false;

  constructor(
    private readonly dispatch: DispatchService,
    private readonly repository: DispatchRepository,
    private readonly config: AppConfig,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    if (!this.config.runsWorker) return;
    await this.listen();
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    for (const { timer } of this.timers.values()) clearTimeout(timer);
    void this.listener?.end().catch(() => undefined);
  }

  /** A messenger has work due at `dueAt`: drain now, or set a timer for it. */
  wake(provider: MessengerName, dueAt: number): void {
    if (this.stopped) return;
    const delay = dueAt - Date.now();
    if (delay <= 0) {
      void this.drain(provider);
      return;
    }
    const current = this.timers.get(provider);
    if (current && current.at <= dueAt) return;
    if (current) clearTimeout(current.timer);
    const timer = setTimeout(
      () => {
        this.timers.delete(provider);
        void this.drain(provider);
        // A few ms late rather than early: a timer that fires before the row is due finds nothing to claim.
      },
      Math.min(delay + TIMER_SLACK_MS, MAX_TIMER_MS),
    );
    timer.unref();
    this.timers.set(provider, { at: dueAt, timer });
  }

  private async drain(provider: MessengerName): Promise<void> {
    try {
      // Each lane sets the timer as it finishes: a slow lane's long drain does not hold up a fast lane's retry.
      await this.dispatch.dispatchDue([provider], (_, { claimed }) => void this.rearm(provider, claimed));
    } catch (error) {
      // The database may be away: the sweep and the reconnecting listener carry on.
      this.logger.warn(`wake-up drain of ${provider} failed: ${errorMessage(error)}`);
    }
  }

  /** After a lane's drain: a timer for the messenger's next due message. */
  private async rearm(provider: MessengerName, claimed: number): Promise<void> {
    try {
      const next = await this.repository.nextDueAt(provider);
      // A message due but not claimable (waiting behind another to its recipient, taken by another worker a
      // moment ago, in a lane still draining) would wake us again at once, forever: after an idle drain, wait.
      if (!next) return;
      const due = next.getTime();
      this.wake(provider, claimed === 0 && due <= Date.now() ? Date.now() + IDLE_RETRY_MS : due);
    } catch (error) {
      this.logger.warn(`wake-up of ${provider} failed: ${errorMessage(error)}`);
    }
  }

  /**
   * LISTENs on a connection of its own (a pooled one can't hold a LISTEN); reconnects when it drops, or
   * when it goes silent (see watch).
   */
  private async listen(delayMs = 0): Promise<void> {
    if (this.stopped) return;
    if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs).unref());
    const client = new BoundedPgClient({
      connectionString: this.config.DATABASE_URL,
      ...boundedClientOptions(this.config.databaseBounds),
    });
    client.on('notification', (message: Notification) => this.onNotification(message.payload ?? ''));
    client.on('error', () => undefined); // 'end' follows; handled there
    client.on('end', () => {
      if (this.stopped || this.listener !== client) return;
      this.logger.warn('lost the LISTEN connection; reconnecting');
      void this.listen(1000);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${MESSAGES_DUE_CHANNEL}`);
      this.listener = client;
      this.watch(client);
      // Whatever was notified while we were not listening: look now.
      for (const provider of MESSENGER_NAMES) void this.drain(provider);
    } catch (error) {
      await client.end().catch(() => undefined);
      this.logger.warn(`LISTEN failed (${errorMessage(error)}); trying again`);
      void this.listen(Math.min(10_000, Math.max(1000, delayMs * 2)));
    }
  }

  /**
   * A frozen or cut-off server never closes the connection: it just goes silent, and so would the
   * wake-ups, for good. A statement on it every DATABASE_QUERY_TIMEOUT_MS notices within two of them: a
   * statement past the bound closes the connection (BoundedPgClient), and 'end' reconnects.
   */
  private watch(client: BoundedPgClient): void {
    const check = setInterval(() => {
      (client.query('SELECT 1') as Promise<unknown>).catch(() => undefined);
    }, this.config.DATABASE_QUERY_TIMEOUT_MS);
    check.unref();
    client.once('end', () => clearInterval(check));
  }

  private onNotification(payload: string): void {
    for (const entry of payload.split(',')) {
      const [provider, due] = entry.split(':');
      if (isMessengerName(provider)) this.wake(provider, Number(due) || Date.now());
    }
  }
}
