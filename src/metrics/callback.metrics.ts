import { Injectable } from '@nestjs/common';
import { Counter, Histogram, Registry } from 'prom-client';
import { CALLBACK_EVENT_TYPES, type CallbackEventType } from '../callbacks/callback-event.entity';

/** Seconds: a receiver on the same network up to CALLBACK_TIMEOUT_MS's default of 5 s and past it. */
const DELIVERY_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** How a delivery attempt ended: delivered (2xx), retried later, or dead (past the horizon). */
export type CallbackOutcome = 'delivered' | 'retried' | 'dead';

/**
 * The callbacks' delivery attempts: counted by outcome and event type, and timed. The labels are the
 * event type and the outcome only: never a URL, a client or anything from a secret.
 */
@Injectable()
export class CallbackMetrics {
  private readonly outcomes: Record<CallbackOutcome, Counter<'type'>>;
  private readonly latency: Histogram<'outcome'>;

  constructor(registry: Registry) {
    const counter = (name: string, help: string) =>
      new Counter({ name, help, labelNames: ['type'], registers: [registry] });
    this.outcomes = {
      delivered: counter('callbacks_delivered_total', 'Callback events a receiver answered with a 2xx'),
      retried: counter(
        'callbacks_retried_total',
        'Callback attempts that failed (no 2xx, no answer in time, a refused address) and were scheduled again',
      ),
      dead: counter('callbacks_dead_total', 'Callback events given up on: still failing past the retry horizon'),
    };
    this.latency = new Histogram({
      name: 'callback_delivery_duration_seconds',
      help: "One callback attempt, from the request to the answer's status or the failure",
      labelNames: ['outcome'],
      buckets: DELIVERY_BUCKETS,
      registers: [registry],
    });
    for (const counter of Object.values(this.outcomes))
      for (const type of CALLBACK_EVENT_TYPES) counter.labels(type).inc(0);
  }

  attempt(type: CallbackEventType, outcome: CallbackOutcome, latencyMs: number): void {
    this.outcomes[outcome].labels(type).inc();
    this.latency.labels(outcome === 'delivered' ? 'delivered' : 'failed').observe(latencyMs / 1000);
  }
}
