import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { QUEUED_STATUSES, statusIn } from '../messages/message-status';
import { MESSENGER_NAMES } from '../providers/messengers';

/** A scrape that finds the database slow answers without the queue's gauges rather than hanging. */
const SCRAPE_STATEMENT_TIMEOUT_MS = 2_000;

/**
 * The queue by messenger and status, and how much of it is due. The WHERE is messages_due_idx's own
 * predicate, so only queued rows are read (through that partial index, or a bitmap over it), never the
 * sent, failed and cancelled history that makes up nearly all of a big table: the cost follows the queue,
 * not the table. `status` is not in the index, so each queued row costs a heap visit; that is the price of
 * telling pending from sending. A sending row that is due is one whose lease ran out (claimable again).
 */
const QUEUE_DEPTH = `
  SELECT provider, status, count(*)::int AS messages, count(*) FILTER (WHERE next_attempt_at <= now())::int AS due
  FROM messages
  WHERE ${statusIn(QUEUED_STATUSES)}
  GROUP BY provider, status`;

/**
 * How late the oldest due message of each messenger is: one descent of messages_due_idx (provider,
 * next_attempt_at) per messenger, reading the first entry. A messenger with nothing due has no row.
 */
const OLDEST_DUE = `
  SELECT p.provider, extract(epoch FROM now() - oldest.next_attempt_at)::float8 AS lag_seconds
  FROM unnest($1::varchar[]) AS p(provider)
  CROSS JOIN LATERAL (SELECT m.next_attempt_at FROM messages m
                      WHERE m.provider = p.provider AND ${statusIn(QUEUED_STATUSES, 'm.status')} AND m.next_attempt_at <= now()
                      ORDER BY m.next_attempt_at
                      LIMIT 1) oldest`;

/** Every sender account that has ever been paused, and whether it is now: a handful of rows, one per account. */
const SENDER_ACCOUNTS = `SELECT name, paused FROM sender_accounts_state`;

/** The gauges' statements, for the spec that checks the statuses they read. */
export const METRICS_SQL = { queueDepth: QUEUE_DEPTH, oldestDue: OLDEST_DUE } as const;

export interface QueueState {
  readonly depth: { provider: string; status: string; messages: number; due: number }[];
  readonly lag: { provider: string; lag_seconds: number }[];
  readonly senders: { name: string; paused: boolean }[];
}

/** The SQL behind the queue's gauges, run on each scrape. */
@Injectable()
export class MetricsRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  queueState(): Promise<QueueState> {
    return this.dataSource.transaction(async (manager) => {
      await manager.query(`SET LOCAL statement_timeout = ${SCRAPE_STATEMENT_TIMEOUT_MS}`);
      const depth = await manager.query<QueueState['depth']>(QUEUE_DEPTH);
      const lag = await manager.query<QueueState['lag']>(OLDEST_DUE, [MESSENGER_NAMES]);
      const senders = await manager.query<QueueState['senders']>(SENDER_ACCOUNTS);
      return { depth, lag, senders };
    });
  }
}
