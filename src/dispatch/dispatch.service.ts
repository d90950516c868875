import { Injectable, Logger } from '@nestjs/common';
import { performance } from 'node:perf_hooks';
import { mapWithConcurrency, withTimeout } from '../common/concurrency';
import { AppConfig } from '../config/app-config';
import { SendResult } from '../providers/messenger-provider';
import { MessengerRegistry } from '../providers/messenger.registry';
import { ClaimedMessage, DispatchRepository, RecordedOutcome } from './dispatch.repository';
import { AttemptOutcome, outcomeOf, outcomeOfExpiredLease, RetryPolicy } from './retry-policy';

export interface DispatchSummary {
  claimed: number;
  sent: number;
  retried: number;
  failed: number;
  /** Outcomes not written because another worker had claimed the row again (our lease ran out). */
  lostLeases: number;
}

/** Claims due messages batch by batch, sends each through its messenger and records what happened. */
@Injectable()
export class DispatchService {
  private readonly logger = new Logger(DispatchService.name);
  private readonly policy: RetryPolicy;
  private stopping = false;

  constructor(
    private readonly repository: DispatchRepository,
    private readonly messengers: MessengerRegistry,
    private readonly config: AppConfig,
  ) {
    this.policy = {
      maxRetries: config.MAX_RETRIES,
      baseDelayMs: config.RETRY_BASE_DELAY_MS,
      maxDelayMs: config.RETRY_MAX_DELAY_MS,
    };
  }

  /** Drains the queue: claims and sends until nothing is due (or stop() is called). */
  async dispatchDue(): Promise<DispatchSummary> {
    const summary: DispatchSummary = { claimed: 0, sent: 0, retried: 0, failed: 0, lostLeases: 0 };
    while (!this.stopping) {
      const batch = await this.repository.claimDue(this.config.DISPATCH_BATCH_SIZE, this.config.DISPATCH_LEASE_SECONDS);
      if (batch.length === 0) break;
      // Each attempt settles on its own (attempt() never throws), so one bad message never stops the batch.
      const outcomes = await mapWithConcurrency(batch, this.config.DISPATCH_CONCURRENCY, (claimed) => this.attempt(claimed));
      const written = await this.repository.recordOutcomes(outcomes);
      summary.claimed += batch.length;
      summary.lostLeases += outcomes.length - written;
      for (const outcome of outcomes) {
        if (outcome.status === 'sent') summary.sent++;
        else if (outcome.status === 'pending') summary.retried++;
        else summary.failed++;
      }
    }
    if (summary.lostLeases > 0) {
      this.logger.warn(
        `${summary.lostLeases} outcome(s) arrived after their lease expired and were dropped: ` +
          'raise DISPATCH_LEASE_SECONDS or lower DISPATCH_SEND_TIMEOUT_MS',
      );
    }
    return summary;
  }

  /** Finishes the batch in hand, then claims no more. */
  stop(): void {
    this.stopping = true;
  }

  private async attempt({ message, leaseExpired }: ClaimedMessage): Promise<RecordedOutcome> {
    const claim = { id: message.id, attempt: message.attempts };
    const abandoned = leaseExpired ? outcomeOfExpiredLease(message.retriesCount, this.policy) : null;
    if (abandoned) {
      this.logAttempt(message.id, message.provider, message.recipient, abandoned, 0);
      return { ...claim, ...abandoned };
    }

    const started = performance.now();
    let result: SendResult;
    try {
      const messenger = this.messengers.get(message.provider);
      const send = messenger.send({ id: message.id, recipient: message.recipient, body: message.body });
      result = await withTimeout(send, this.config.DISPATCH_SEND_TIMEOUT_MS);
    } catch (error) {
      // A timeout or a thrown error says nothing about the message itself: worth another try.
      result = { outcome: 'retry', error: `${message.provider}: ${error instanceof Error ? error.message : String(error)}` };
    }
    const latencyMs = Math.round(performance.now() - started);
    const outcome = outcomeOf(result, message.retriesCount, this.policy);
    this.logAttempt(message.id, message.provider, message.recipient, outcome, latencyMs);
    return { ...claim, ...outcome, ...(outcome.status === 'sent' && { sentAt: new Date() }) };
  }

  private logAttempt(
    messageId: string,
    provider: string,
    recipient: string,
    outcome: AttemptOutcome,
    latencyMs: number,
  ): void {
    const entry = {
      event: 'delivery_attempt',
      messageId,
      provider,
      recipient,
      outcome: outcome.status === 'pending' ? 'retry' : outcome.status,
      latencyMs,
      retriesCount: outcome.retriesCount,
      ...(outcome.status === 'pending' && { retryInMs: outcome.retryInMs }),
      ...(outcome.status !== 'sent' && { error: outcome.error }),
    };
    if (outcome.status === 'sent') this.logger.log(entry);
    else this.logger.warn(entry);
  }
}
