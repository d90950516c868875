import { Injectable, Logger } from '@nestjs/common';
import { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { mapWithConcurrency, TimeoutError, withTimeout } from '../common/concurrency';
import { AppConfig } from '../config/app-config';
import type { AttemptOutcomeName } from '../messages/message-attempt.entity';
import { DispatchMetrics } from '../metrics/dispatch.metrics';
import { UnansweredCall } from '../providers/live/unanswered-call';
import type { OutgoingMessage, SendResult } from '../providers/messenger-provider';
import { MessengerRegistry } from '../providers/messenger.registry';
import { LiveMessengers } from '../providers/senders/live-messengers';
import { MESSENGER_NAMES, MessengerName } from '../providers/messengers';
import {
  ALL_LANES,
  AttemptRecord,
  ClaimedFields,
  type ClaimScope,
  ClaimedMessage,
  DispatchRepository,
  RecordedOutcome,
} from './dispatch.repository';
import { type Lane, laneSender } from './lane';
import { type Slot, SharedPacer } from './shared-pacer';
import { AttemptOutcome, LEASE_EXPIRED, outcomeOf, outcomeOfExpiredLease, RetryPolicy } from './retry-policy';
import { SenderGate, type BatchGate } from './sender-gate';
import { errorMessage } from '../common/error-message';

/** last_error_code of a message whose sender account is no longer in SENDERS_FILE: it waits, as for a refusal. */
export const SENDER_NOT_CONFIGURED = 'sender_not_configured';

export interface DispatchSummary {
  claimed: number;
  sent: number;
  retried: number;
  rateLimited: number;
  failed: number;
  /** Handed back unsent because their recipient's own limit had not passed yet. */
  deferred: number;
  /** Handed back unsent because the process is stopping: due at once, for another worker. */
  handedBack: number;
  /** Handed back unsent because their slot had gone by when this process got to them: due at once. */
  late: number;
  /** Outcomes not written because another worker had claimed the row again (our lease ran out). */
  lostLeases: number;
}

/**
 * Tries at writing a batch's outcomes: 0.5 + 1 + 2 s of waiting between them. Each try ends within
 * DATABASE_CONNECT_TIMEOUT_MS + DATABASE_QUERY_TIMEOUT_MS even on a frozen server: 35.5 s in all with the
 * defaults, inside the 60 s lease.
 */
const RECORD_TRIES = 4;

/** A claim holds no more than this much of a paced lane's traffic, so no row waits long for its slot. */
const CLAIM_HORIZON_MS = 2_000;

/**
 * A paced send this far past its slot is not made: sent late, it would crowd the slots that follow (another
 * worker's, perhaps). 50 ms is the room the default rate, 95% of a one-second limit, leaves in a second.
 */
const LATE_MS = 50;

interface Settled {
  readonly outcome: RecordedOutcome;
  readonly attempts: AttemptRecord[];
  /** What the tick summary counts it as. */
  readonly tally: Exclude<keyof DispatchSummary, 'claimed' | 'lostLeases'>;
}

const TALLY: Record<AttemptOutcomeName, Settled['tally']> = {
  sent: 'sent',
  retry: 'retried',
  rate_limited: 'rateLimited',
  failed: 'failed',
  lost: 'failed',
};

const sumOf = (summaries: readonly DispatchSummary[]): DispatchSummary =>
  summaries.reduce((total, s) => {
    for (const key of Object.keys(total) as (keyof DispatchSummary)[]) total[key] += s[key];
    return total;
  }, emptySummary());

const emptySummary = (): DispatchSummary => ({
  claimed: 0,
  sent: 0,
  retried: 0,
  rateLimited: 0,
  failed: 0,
  deferred: 0,
  handedBack: 0,
  late: 0,
  lostLeases: 0,
});

/**
 * Claims due messages batch by batch, sends each through its messenger at the pace the messenger allows,
 * and records what happened. Each messenger drains on its own, so a slow or throttled one never holds
 * up the others.
 */
@Injectable()
export class DispatchService {
  private readonly logger = new Logger(DispatchService.name);
  private readonly policy: RetryPolicy;
  /** The lanes draining now, by `provider` (unpaced) or `provider/sender`. */
  private readonly draining = new Map<string, Promise<DispatchSummary>>();
  /** The fresh drain queued behind a running one, by the same key. */
  private readonly followUps = new Map<string, Promise<DispatchSummary>>();
  private stopping = false;

  constructor(
    private readonly repository: DispatchRepository,
    private readonly messengers: MessengerRegistry,
    private readonly liveMessengers: LiveMessengers,
    private readonly senderGate: SenderGate,
    private readonly config: AppConfig,
    private readonly metrics: DispatchMetrics,
    private readonly pacer: SharedPacer,
    /**
     * The attempt lines, one per message, go straight to pino
     * (docs/performance.md#the-attempt-lines-go-straight-to-pino).
     */
    @InjectPinoLogger(DispatchService.name) private readonly attemptLog: PinoLogger,
  ) {
    this.policy = {
      maxRetries: config.MAX_RETRIES,
      baseDelayMs: config.RETRY_BASE_DELAY_MS,
      maxDelayMs: config.RETRY_MAX_DELAY_MS,
      accountPausedMs: config.SENDER_PROBE_INTERVAL_MS,
    };
  }

  /**
   * Drains the messengers' due messages (until nothing is due or stop() is called), lane by lane. Drains of a
   * lane never overlap within a process: for a lane still draining from an earlier call, a fresh drain follows
   * it, so work that arrived meanwhile is not left to the next tick. `laneDone` hears of each lane as it
   * finishes, before the slowest one does (the wake-up sets its timer from it).
   */
  async dispatchDue(
    providers: readonly MessengerName[] = MESSENGER_NAMES,
    laneDone?: (provider: MessengerName, summary: DispatchSummary) => void,
  ): Promise<DispatchSummary> {
    return sumOf(await Promise.all(providers.map((provider) => this.drainProvider(provider, laneDone))));
  }

  /** Finishes the batches in hand, then claims no more. */
  async stop(): Promise<void> {
    this.stopping = true;
    await Promise.all(this.draining.values());
  }

  private drain(provider: MessengerName, lane: Lane | null): Promise<DispatchSummary> {
    const key = lane === null ? provider : `${provider}/${laneSender(lane)}`;
    const running = this.draining.get(key);
    if (running) {
      // One fresh drain after the running one serves every caller that came meanwhile.
      let next = this.followUps.get(key);
      if (!next) {
        const again = () => {
          this.followUps.delete(key);
          return this.drain(provider, lane);
        };
        next = running.then(again, again);
        this.followUps.set(key, next);
      }
      return next;
    }
    const drain = this.drainLane(provider, lane).finally(() => this.draining.delete(key));
    this.draining.set(key, drain);
    return drain;
  }

  /**
   * Unpaced, a messenger's due rows are one queue. Paced, each sender account is a lane of its own, at its own
   * rate (the default account, and each account with messages queued), drained side by side: a slow lane never
   * holds up the others.
   */
  private async drainProvider(
    provider: MessengerName,
    laneDone?: (provider: MessengerName, summary: DispatchSummary) => void,
  ): Promise<DispatchSummary> {
    const lanes: (Lane | null)[] =
      this.config.DISPATCH_PACING === 'off'
        ? [null]
        : [null, ...(await this.repository.queuedSenders(provider))].map((sender) => ({ provider, sender }));
    const summary = sumOf(
      await Promise.all(
        lanes.map(async (lane) => {
          const done = await this.drain(provider, lane);
          laneDone?.(provider, done);
          return done;
        }),
      ),
    );
    if (summary.late > 0) {
      this.logger.warn(
        `${provider}: ${summary.late} message(s) reached after their send slot had passed were put back: ` +
          'the process is overloaded, or DISPATCH_CONCURRENCY is below the rate × the messenger’s latency',
      );
    }
    if (summary.lostLeases > 0) {
      this.logger.warn(
        `${provider}: ${summary.lostLeases} outcome(s) arrived after their lease expired and were dropped: ` +
          'raise DISPATCH_LEASE_SECONDS or lower DISPATCH_SEND_TIMEOUT_MS',
      );
    }
    return summary;
  }

  /** Drains one lane (null: every due row of the messenger, unpaced) until nothing is due or stop() is called. */
  private async drainLane(provider: MessengerName, lane: Lane | null): Promise<DispatchSummary> {
    const summary = emptySummary();
    const paced = lane !== null && this.pacer.paces(lane) ? lane : null;
    const scope: ClaimScope = lane === null ? ALL_LANES : { kind: 'lane', sender: lane.sender };
    const inOrder = this.config.DISPATCH_ORDERING === 'per_recipient';
    // One batch's outcomes are written while the next batch is claimed and sent: the database and this
    // process work at the same time instead of taking turns. At most one write is in flight, in order.
    let recording: Promise<void> = Promise.resolve();
    let unwritten = false;
    try {
      while (!this.stopping) {
        const { DISPATCH_BATCH_SIZE: max, DISPATCH_LEASE_SECONDS: lease } = this.config;
        let batch: ClaimedMessage[];
        let slots: readonly Slot[] | undefined;
        if (paced) {
          const claim = await this.pacer.claim(paced, max, CLAIM_HORIZON_MS, lease, inOrder);
          if ('waitMs' in claim) {
            // The lane's next slots are booked by other workers: claim once they have gone by.
            await sleep(Math.min(claim.waitMs, CLAIM_HORIZON_MS));
            continue;
          }
          ({ batch, slots } = claim);
        } else {
          batch = await this.repository.claimDue(provider, max, lease, inOrder, undefined, scope);
        }
        if (batch.length === 0) {
          // Nothing due, or only behind outcomes not yet written (a recipient's next message in line):
          // once they are, look once more.
          if (!unwritten) break;
          await recording;
          unwritten = false;
          continue;
        }
        const gate = await this.senderGate.forBatch(batch.map((claimed) => claimed.message.sender));
        // Each message settles on its own (settle() never throws), so one bad message never stops the batch.
        const settled = await mapWithConcurrency(batch, this.config.DISPATCH_CONCURRENCY, (claimed, i) =>
          this.settle(claimed, slots?.[i], gate),
        );
        await recording;
        unwritten = true;
        recording = this.record(
          settled.map((s) => s.outcome),
          settled.flatMap((s) => s.attempts),
        ).then((written) => {
          summary.claimed += batch.length;
          summary.lostLeases += settled.length - written;
          for (const { tally } of settled) summary[tally]++;
        });
      }
    } finally {
      await recording;
    }
    return summary;
  }

  /** `slot`: when the lane's pacing lets it go (undefined: unpaced, at once). */
  private async settle(
    { message, leaseExpired }: ClaimedMessage,
    slot: Slot | undefined,
    gate: BatchGate,
  ): Promise<Settled> {
    // The attempt before this claim was lost with its worker: history says so.
    const lost: AttemptRecord[] = leaseExpired
      ? [
          attemptRecord(message, message.attempts - 1, 'lost', {
            code: LEASE_EXPIRED,
            description: 'the worker stopped before recording an outcome',
          }),
        ]
      : [];

    const abandoned = leaseExpired ? outcomeOfExpiredLease(message.retriesCount, this.policy) : null;
    if (abandoned) {
      this.logAttempt(message, abandoned, undefined);
      return { outcome: recordedOutcome(message, abandoned), attempts: lost, tally: 'failed' };
    }

    if (this.stopping) return this.handBack(message, lost);
    // A paused sender account's messages wait for it, unclaimed (no retry spent), but for its one probe.
    const admission = await gate.admit(message.sender);
    if (!admission.send) return { outcome: undoneClaim(message, admission.waitMs), attempts: lost, tally: 'deferred' };
    if (slot && 'deferMs' in slot) {
      // Not an attempt: the claim is undone and the message waits for its recipient's interval.
      return { outcome: undoneClaim(message, slot.deferMs), attempts: lost, tally: 'deferred' };
    }
    const waitMs = slot ? slot.sendAt - Date.now() : 0;
    if (waitMs > 0) await sleep(waitMs);
    if (this.stopping) return this.handBack(message, lost);
    if (slot && Date.now() - slot.sendAt > LATE_MS) {
      // Its slot is spent: back in the queue at once, for a slot of its own in the next claim.
      return { outcome: undoneClaim(message, 0), attempts: lost, tally: 'late' };
    }

    const startedAt = new Date();
    const started = performance.now();
    const result = await this.send(
      {
        id: message.id,
        recipient: message.recipient,
        body: message.body,
        sender: message.sender,
      },
      message.provider,
    );
    const latencyMs = Math.round(performance.now() - started);
    await gate.settled(message.sender, message.provider, result, admission.probe);
    const outcome = outcomeOf(result, message.retriesCount, this.policy);
    this.logAttempt(message, outcome, latencyMs);
    const name = historyOutcome(outcome);
    const attempt = attemptRecord(
      message,
      message.attempts,
      name,
      outcome.status === 'sent' ? { providerMessageId: outcome.providerMessageId } : outcome,
      startedAt,
      latencyMs,
    );
    return {
      outcome: recordedOutcome(message, outcome),
      tally: TALLY[name],
      attempts: lost.length === 0 ? [attempt] : [...lost, attempt],
    };
  }

  /**
   * Writes a batch's outcomes, trying again for a few seconds if the database is away (a restart, a
   * failover): the sends happened, and losing their outcomes would mean sending again once the lease
   * runs out. If it stays away, the leases hand the rows back and the idempotency keys keep the
   * messenger from delivering twice.
   */
  private async record(outcomes: RecordedOutcome[], attempts: AttemptRecord[]): Promise<number> {
    for (let tryNumber = 1; ; tryNumber++) {
      try {
        return await this.repository.recordOutcomes(outcomes, attempts);
      } catch (error) {
        if (tryNumber >= RECORD_TRIES) throw error;
        this.logger.warn(`recording ${outcomes.length} outcome(s) failed (${errorMessage(error)}); trying again`);
        await sleep(250 * 2 ** tryNumber);
      }
    }
  }

  /**
   * A claimed message not yet sent when the process stops: back in the queue at once, lease cleared and
   * the claim undone, so another worker takes it without waiting for the lease to run out.
   */
  private handBack(message: ClaimedFields, lost: AttemptRecord[]): Settled {
    return { outcome: undoneClaim(message, 0), attempts: lost, tally: 'handedBack' };
  }

  /** Through the built-in emulator (no sender), or the live client of the sender account, looked up now. */
  private async send(message: OutgoingMessage, provider: MessengerName): Promise<SendResult> {
    try {
      const messenger =
        message.sender === null
          ? this.messengers.get(provider)
          : this.liveMessengers.providerFor(provider, message.sender);
      if (messenger === undefined) {
        return {
          outcome: 'account_failed',
          code: SENDER_NOT_CONFIGURED,
          description: `sender account "${message.sender}" is not in SENDERS_FILE (or not a ${provider} account)`,
        };
      }
      return await withTimeout(messenger.send(message), this.config.DISPATCH_SEND_TIMEOUT_MS);
    } catch (error) {
      // A live client's call that got no answer: not sent (safe), or the lost-answer case.
      if (error instanceof UnansweredCall) return error.result;
      // A timeout or a thrown error says nothing about the message itself: worth another try.
      if (error instanceof TimeoutError) return { outcome: 'retry', code: 'timeout', description: error.message };
      return {
        outcome: 'retry',
        code: 'exception',
        description: errorMessage(error),
      };
    }
  }

  /**
   * One flat log line per attempt, and its metrics. `latencyMs` is undefined when nothing was sent (a message
   * given up after its lost attempts). The body is never logged: only its length (in UTF-16 code units, so
   * the line costs no pass over the text).
   */
  private logAttempt(
    message: Pick<ClaimedMessage['message'], 'id' | 'provider' | 'recipient' | 'body' | 'sender'>,
    outcome: AttemptOutcome,
    latencyMs: number | undefined,
  ): void {
    const name = historyOutcome(outcome);
    this.metrics.attempt(message.provider, name, latencyMs);
    const failed = outcome.status !== 'sent';
    // Fields that do not apply are undefined, which pino leaves out of the line.
    const entry = {
      event: 'delivery_attempt',
      messageId: message.id,
      provider: message.provider,
      // null (the built-in emulator) is left out of the line, as undefined is.
      sender: message.sender ?? undefined,
      recipient: message.recipient,
      outcome: name,
      latencyMs,
      retriesCount: outcome.retriesCount,
      bodyLength: message.body.length,
      retryInMs: outcome.status === 'pending' ? outcome.retryInMs : undefined,
      code: failed ? outcome.code : undefined,
      error: failed ? outcome.description : undefined,
    };
    if (outcome.status === 'sent') this.attemptLog.info(entry);
    else this.attemptLog.warn(entry);
  }
}

function historyOutcome(outcome: AttemptOutcome): AttemptOutcomeName {
  if (outcome.status === 'pending') return outcome.rateLimited ? 'rate_limited' : 'retry';
  return outcome.status;
}

// The records below are built whole, one shape each, rather than spread together from parts: they are made
// for every message (docs/performance.md#the-dispatcher-builds-its-records-whole).

/** What a claim leaves the message as, after this outcome. */
function recordedOutcome(message: ClaimedFields, outcome: AttemptOutcome): RecordedOutcome {
  const sent = outcome.status === 'sent';
  return {
    id: message.id,
    attempt: message.attempts,
    status: outcome.status,
    retriesCount: outcome.retriesCount,
    retryInMs: outcome.status === 'pending' ? outcome.retryInMs : undefined,
    code: sent ? undefined : outcome.code,
    description: sent ? undefined : outcome.description,
    providerMessageId: sent ? outcome.providerMessageId : undefined,
    sentAt: sent ? new Date() : undefined,
    unclaimed: false,
  };
}

/** The claim taken back, not counted as an attempt: due again in `dueInMs`. */
function undoneClaim(message: ClaimedFields, dueInMs: number): RecordedOutcome {
  return {
    id: message.id,
    attempt: message.attempts,
    status: 'pending',
    retriesCount: message.retriesCount,
    retryInMs: dueInMs,
    code: undefined,
    description: undefined,
    providerMessageId: undefined,
    sentAt: undefined,
    unclaimed: true,
  };
}

function attemptRecord(
  message: ClaimedFields,
  attempt: number,
  outcome: AttemptOutcomeName,
  detail: { code?: string; description?: string; providerMessageId?: string },
  startedAt?: Date,
  latencyMs?: number,
): AttemptRecord {
  return {
    messageId: message.id,
    attempt,
    outcome,
    startedAt,
    latencyMs,
    code: detail.code,
    description: detail.description,
    providerMessageId: detail.providerMessageId,
  };
}
