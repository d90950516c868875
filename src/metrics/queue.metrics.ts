import { Injectable, Logger } from '@nestjs/common';
import { Gauge, Registry } from 'prom-client';
import { QUEUED_STATUSES } from '../messages/message-status';
import { MESSENGER_NAMES } from '../providers/messengers';
import { MetricsRepository } from './metrics.repository';
import { errorMessage } from '../common/error-message';

/**
 * The queue, and which sender accounts are paused, as PostgreSQL sees it, read on each scrape (see MetricsRepository for why that is cheap). Every
 * process reports the same numbers: aggregate them with max(), not sum(). If the database can't answer, the
 * gauges are left out of that scrape rather than reported stale.
 */
@Injectable()
export class QueueMetrics {
  private readonly logger = new Logger(QueueMetrics.name);
  private readonly messages: Gauge<'provider' | 'status'>;
  private readonly due: Gauge<'provider'>;
  private readonly lag: Gauge<'provider'>;
  private readonly senderFailing: Gauge<'sender'>;

  constructor(
    registry: Registry,
    private readonly repository: MetricsRepository,
  ) {
    this.messages = new Gauge({
      name: 'dispatch_queue_messages',
      help: 'Messages waiting (pending: due or scheduled) or being sent (sending), by messenger',
      labelNames: ['provider', 'status'],
      registers: [registry],
    });
    this.due = new Gauge({
      name: 'dispatch_queue_due_messages',
      help: 'Messages due now and not yet claimed (expired leases included), by messenger: the backlog',
      labelNames: ['provider'],
      registers: [registry],
    });
    this.lag = new Gauge({
      name: 'dispatch_queue_lag_seconds',
      help: 'How long the oldest due message has been due, by messenger (0: nothing is waiting)',
      labelNames: ['provider'],
      registers: [registry],
    });
    this.senderFailing = new Gauge({
      name: 'dispatch_sender_account_failing',
      help: 'Sender accounts (SENDERS_FILE) whose credentials the messenger refused: 1 while paused, 0 once resumed. Labelled by the account name only',
      labelNames: ['sender'],
      registers: [registry],
    });
  }

  async refresh(): Promise<void> {
    try {
      const { depth, lag, senders } = await this.repository.queueState();
      for (const provider of MESSENGER_NAMES) {
        for (const status of QUEUED_STATUSES) this.messages.labels(provider, status).set(0);
        this.due.labels(provider).set(0);
        this.lag.labels(provider).set(0);
      }
      const due = new Map<string, number>();
      for (const row of depth) {
        this.messages.labels(row.provider, row.status).set(row.messages);
        due.set(row.provider, (due.get(row.provider) ?? 0) + row.due);
      }
      for (const [provider, count] of due) this.due.labels(provider).set(count);
      for (const row of lag) this.lag.labels(row.provider).set(Math.max(0, row.lag_seconds));
      // The pause is shared by every worker (sender_accounts_state), so every process reports it, resumed too.
      this.senderFailing.reset();
      for (const { name, paused } of senders) this.senderFailing.labels(name).set(paused ? 1 : 0);
    } catch (error) {
      for (const gauge of [this.messages, this.due, this.lag, this.senderFailing]) gauge.reset();
      this.logger.warn(`queue gauges left out of this scrape: ${errorMessage(error)}`);
    }
  }
}
