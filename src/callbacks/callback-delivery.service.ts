import { Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppConfig } from '../config/app-config';
import { CallbackMetrics, type CallbackOutcome } from '../metrics/callback.metrics';
import { nextAttemptDelay, type CallbackSchedule } from './callback-schedule';
import { CallbackPolicy } from './callback-policy';
import { CallbacksRepository, type ClaimedEvent, type DeliveryRecord } from './callbacks.repository';
import { WebhookClient, type WebhookAttemptResult } from './webhook-client';
import { errorMessage } from '../common/error-message';

export interface CallbackSummary {
  claimed: number;
  delivered: number;
  retried: number;
  dead: number;
  /** States not written because another worker had claimed the event again (our lease ran out). */
  lostLeases: number;
}

const emptySummary = (): CallbackSummary => ({ claimed: 0, delivered: 0, retried: 0, dead: 0, lostLeases: 0 });

/** Tries at writing a batch's results, 0.5, 1 and 2 s apart: a database restart should not cost a redelivery. */
const RECORD_TRIES = 4;

/**
 * Delivers the outbox: claims due events (CallbacksRepository.claimDue), posts each, signed, with the
 * WebhookClient, all of a batch at once, and records each attempt with the event's next state: delivered,
 * due again after the schedule's backoff, or dead past its horizon. The body is
 * `{ type, timestamp, data }`, data the message as GET showed it when the event happened; `webhook-id` is
 * the event's id on every attempt, and the timestamp and signature are made afresh for each.
 */
@Injectable()
export class CallbackDeliveryService implements OnModuleDestroy {
  private readonly logger = new Logger(CallbackDeliveryService.name);
  private readonly client: WebhookClient;
  private readonly schedule: CallbackSchedule;
  private draining: Promise<CallbackSummary> | undefined;
  private stopping = false;

  constructor(
    private readonly repository: CallbacksRepository,
    private readonly policy: CallbackPolicy,
    private readonly config: AppConfig,
    private readonly metrics: CallbackMetrics,
    @InjectPinoLogger(CallbackDeliveryService.name) private readonly attemptLog: PinoLogger,
  ) {
    this.schedule = config.callbackSchedule;
    this.client = new WebhookClient({
      allowPrivate: policy.allowPrivate,
      timeoutMs: config.CALLBACK_TIMEOUT_MS,
      connectionsPerOrigin: Math.min(config.CALLBACK_BATCH_SIZE, 16),
    });
  }

  /**
   * Delivers what is due, batch after batch, until nothing is (or stop() is called). Drains never overlap
   * in a process: a call during one gets a fresh drain after it, so work that arrived meanwhile is seen.
   */
  deliverDue(): Promise<CallbackSummary> {
    const running = this.draining;
    if (running) {
      return running.then(
        () => this.deliverDue(),
        () => this.deliverDue(),
      );
    }
    const drain = this.drain().finally(() => {
      if (this.draining === drain) this.draining = undefined;
    });
    this.draining = drain;
    return drain;
  }

  /** Finishes the batch in hand (its attempts end within CALLBACK_TIMEOUT_MS) and records it, then claims no more. */
  async stop(): Promise<void> {
    this.stopping = true;
    await this.draining?.catch(() => undefined);
  }

  async onModuleDestroy(): Promise<void> {
    await this.stop();
    await this.client.close();
  }

  private async drain(): Promise<CallbackSummary> {
    const summary = emptySummary();
    const batchSize = this.config.CALLBACK_BATCH_SIZE;
    while (!this.stopping) {
      const batch = await this.repository.claimDue(batchSize, this.config.CALLBACK_LEASE_MS);
      if (batch.length === 0) break;
      summary.claimed += batch.length;
      const records = await Promise.all(batch.map((event) => this.attempt(event, summary)));
      summary.lostLeases += records.length - (await this.record(records));
      if (batch.length < batchSize) break;
    }
    if (summary.lostLeases > 0) {
      this.logger.warn(
        `${summary.lostLeases} callback result(s) arrived after their lease ran out and were dropped: ` +
          'raise CALLBACK_LEASE_MS',
      );
    }
    return summary;
  }

  /** One attempt of one event, never throwing: its record, counted, timed and logged. */
  private async attempt(event: ClaimedEvent, summary: CallbackSummary): Promise<DeliveryRecord> {
    const attemptedAt = new Date();
    const result = await this.post(event, attemptedAt);
    let outcome: CallbackOutcome = 'delivered';
    let retryInMs: number | undefined;
    if (!result.delivered) {
      const delay = nextAttemptDelay(event.attempt, event.firstAttemptAt, new Date(), this.schedule);
      if (delay === 'dead') outcome = 'dead';
      else [outcome, retryInMs] = ['retried', delay];
    }
    summary[outcome]++;
    this.metrics.attempt(event.type, outcome, result.latencyMs);
    // No URL (it may carry a token), no body, no signature: the ids say which, the rest what happened.
    const entry = {
      event: 'callback_attempt',
      eventId: event.id,
      messageId: event.messageId,
      type: event.type,
      attempt: event.attempt,
      outcome,
      statusCode: result.statusCode ?? undefined,
      latencyMs: result.latencyMs,
      retryInMs,
      error: result.error ?? undefined,
    };
    if (outcome === 'delivered') this.attemptLog.info(entry);
    else this.attemptLog.warn(entry);
    return {
      eventId: event.id,
      attempt: event.attempt,
      state: outcome === 'retried' ? 'pending' : outcome,
      retryInMs,
      attemptedAt,
      statusCode: result.statusCode,
      error: result.error,
      latencyMs: result.latencyMs,
    };
  }

  private async post(event: ClaimedEvent, now: Date): Promise<WebhookAttemptResult> {
    const secrets = this.policy.secretsOf(event.client);
    // Its secret was taken out of CALLBACK_SECRETS since: retried, in case it comes back, until the horizon.
    if (secrets.length === 0) {
      return {
        delivered: false,
        statusCode: null,
        latencyMs: 0,
        error: 'no callback secret is configured for the client',
      };
    }
    const body = JSON.stringify({ type: event.type, timestamp: event.createdAt.toISOString(), data: event.payload });
    try {
      return await this.client.deliver({ url: event.url, eventId: event.id, body, secrets }, now);
    } catch (error) {
      return {
        delivered: false,
        statusCode: null,
        latencyMs: 0,
        error: error instanceof Error ? error.message : 'request failed',
      };
    }
  }

  private async record(records: DeliveryRecord[]): Promise<number> {
    for (let tryNumber = 1; ; tryNumber++) {
      try {
        return await this.repository.recordDeliveries(records);
      } catch (error) {
        if (tryNumber >= RECORD_TRIES) throw error;
        this.logger.warn(
          `recording ${records.length} callback attempt(s) failed (${errorMessage(error)}); trying again`,
        );
        await sleep(250 * 2 ** tryNumber);
      }
    }
  }
}
