import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { AttemptOutcomeName } from '../messages/message-attempt.entity';
import { MESSENGER_NAMES, type MessengerName } from '../providers/messengers';

/** The outcomes an attempt is timed under (a lost attempt has no answer to time). */
export const TIMED_OUTCOMES = ['sent', 'retry', 'rate_limited', 'failed'] as const;
type TimedOutcome = (typeof TIMED_OUTCOMES)[number];

/** Seconds: from a fast messenger's answer up to past DISPATCH_SEND_TIMEOUT_MS's default of 10 s. */
const ATTEMPT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
/** Messages claimed by one tick: 0 (nothing due) up to a long paced drain. */
const TICK_BUCKETS = [0, 1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10_000];

type PerProvider<T> = Record<MessengerName, T>;
const perProvider = <T>(make: (provider: MessengerName) => T): PerProvider<T> =>
  Object.fromEntries(MESSENGER_NAMES.map((provider) => [provider, make(provider)])) as PerProvider<T>;

/**
 * What the dispatcher counts as it goes: messages accepted, each attempt's outcome and latency, and the
 * scheduler's ticks. In-process counters, so nothing here touches the database; the queue's gauges are
 * QueueMetrics'. Every series exists from the start (at 0), so rates work from the first scrape.
 */
@Injectable()
export class DispatchMetrics {
  private readonly acceptedTotal: PerProvider<Counter.Internal>;
  private readonly outcomeTotal: Record<TimedOutcome, PerProvider<Counter.Internal>>;
  private readonly attemptSeconds: Record<TimedOutcome, PerProvider<Histogram.Internal<'provider' | 'outcome'>>>;
  private readonly tickClaimed: Histogram;
  private readonly lastTick: Gauge;
  private lastTickAtMs: number | undefined;

  constructor(registry: Registry) {
    const counter = (name: string, help: string) =>
      new Counter({ name, help, labelNames: ['provider'], registers: [registry] });
    const accepted = counter(
      'dispatch_messages_accepted_total',
      'Messages queued by POST /messages (duplicates and replays not counted)',
    );
    const outcomes: Record<TimedOutcome, Counter<'provider'>> = {
      sent: counter('dispatch_messages_sent_total', 'Attempts the messenger accepted: messages sent'),
      retry: counter(
        'dispatch_messages_retried_total',
        'Attempts that failed transiently (timeouts included) and were scheduled again',
      ),
      rate_limited: counter(
        'dispatch_messages_rate_limited_total',
        'Attempts the messenger answered "slow down" (no retry spent)',
      ),
      failed: counter(
        'dispatch_messages_failed_total',
        'Messages that ended failed: refused for good, out of retries, or lost with their worker too often',
      ),
    };
    const latency = new Histogram({
      name: 'dispatch_attempt_duration_seconds',
      help: "One attempt's send, from the call to the messenger to its answer or the timeout",
      labelNames: ['provider', 'outcome'],
      buckets: ATTEMPT_BUCKETS,
      registers: [registry],
    });
    this.acceptedTotal = perProvider((provider) => accepted.labels(provider));
    this.outcomeTotal = Object.fromEntries(
      TIMED_OUTCOMES.map((outcome) => [outcome, perProvider((provider) => outcomes[outcome].labels(provider))]),
    ) as DispatchMetrics['outcomeTotal'];
    this.attemptSeconds = Object.fromEntries(
      TIMED_OUTCOMES.map((outcome) => [outcome, perProvider((provider) => latency.labels(provider, outcome))]),
    ) as DispatchMetrics['attemptSeconds'];
    for (const byProvider of [this.acceptedTotal, ...Object.values(this.outcomeTotal)]) {
      for (const child of Object.values(byProvider)) child.inc(0);
    }
    this.tickClaimed = new Histogram({
      name: 'dispatch_tick_claimed_messages',
      help: 'Messages claimed by the drains one scheduler tick started (a messenger still draining from an earlier tick adds 0)',
      buckets: TICK_BUCKETS,
      registers: [registry],
    });
    this.lastTick = new Gauge({
      name: 'dispatch_last_tick_timestamp_seconds',
      help: 'When the scheduler last ticked (Unix time); 0 in a process that runs no scheduler (the api role)',
      registers: [registry],
    });
  }

  /** The entries of a POST /messages answer: the new ones count, the duplicates don't. */
  accepted(entries: readonly { provider: string; duplicate: boolean }[]): void {
    // Counted first, then one inc per messenger: a 1000-recipient request is one counter update, not 1000.
    const counts = new Map<string, number>();
    for (const { provider, duplicate } of entries)
      if (!duplicate) counts.set(provider, (counts.get(provider) ?? 0) + 1);
    for (const [provider, count] of counts) this.acceptedTotal[provider as MessengerName]?.inc(count);
  }

  /** One attempt's outcome; `latencyMs` undefined when nothing was sent (a message abandoned after lost attempts). */
  attempt(provider: string, outcome: AttemptOutcomeName, latencyMs: number | undefined): void {
    if (outcome === 'lost') return;
    this.outcomeTotal[outcome][provider as MessengerName]?.inc();
    if (latencyMs !== undefined) this.attemptSeconds[outcome][provider as MessengerName]?.observe(latencyMs / 1000);
  }

  /** A scheduler tick begins: what readiness checks a worker by. */
  tickStarted(now = Date.now()): void {
    this.lastTickAtMs = now;
    this.lastTick.set(now / 1000);
  }

  tickFinished(claimed: number): void {
    this.tickClaimed.observe(claimed);
  }

  /** When the scheduler last ticked; undefined if it never has (or runs elsewhere). */
  get lastTickAt(): Date | undefined {
    return this.lastTickAtMs === undefined ? undefined : new Date(this.lastTickAtMs);
  }
}
