import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { queryRows, rowMapper } from '../database/raw-sql';
import { MessageEntity } from '../messages/message.entity';
import type { AttemptOutcome } from './retry-policy';

export interface ClaimedMessage {
  readonly message: MessageEntity;
  /** It was claimed before and its lease ran out: the previous worker stopped mid-attempt. */
  readonly leaseExpired: boolean;
}

export type RecordedOutcome = AttemptOutcome & {
  readonly id: string;
  /** The claim this outcome belongs to (messages.attempts at claim time). */
  readonly attempt: number;
  readonly sentAt?: Date;
};

/**
 * Claims due rows in one statement. SKIP LOCKED lets any number of workers share the table without
 * waiting on each other or taking the same row; the lease (locked_until, mirrored in next_attempt_at so
 * that one partial index serves both cases) hands a row back if the worker that claimed it dies.
 * A reclaimed row counts that lost attempt as a retry. `attempts` is bumped as a fencing token.
 */
const CLAIM_DUE = `
  UPDATE messages m
  SET status = 'sending',
      attempts = m.attempts + 1,
      retries_count = m.retries_count + (due.status = 'sending')::int,
      locked_until = now() + make_interval(secs => $2),
      next_attempt_at = now() + make_interval(secs => $2),
      updated_at = now()
  FROM (SELECT id, status FROM messages
        WHERE status IN ('pending', 'sending') AND next_attempt_at <= now()
        ORDER BY next_attempt_at
        LIMIT $1
        FOR UPDATE SKIP LOCKED) due
  WHERE m.id = due.id
  RETURNING m.*, due.status = 'sending' AS lease_expired`;

/**
 * Writes a whole batch of outcomes in one statement. Only a row still held by the same claim is written:
 * if our lease ran out and another worker claimed the row, its attempt owns the row now.
 */
const RECORD_OUTCOMES = `
  UPDATE messages m
  SET status = o.status,
      retries_count = o.retries_count,
      next_attempt_at = CASE WHEN o.status = 'pending' THEN now() + o.retry_in_ms * interval '1 millisecond' END,
      last_error = COALESCE(o.last_error, m.last_error),
      provider_message_id = o.provider_message_id,
      sent_at = o.sent_at,
      locked_until = NULL,
      updated_at = now()
  FROM unnest($1::uuid[], $2::int[], $3::varchar[], $4::int[], $5::int[], $6::text[], $7::varchar[], $8::timestamptz[])
    AS o(id, attempt, status, retries_count, retry_in_ms, last_error, provider_message_id, sent_at)
  WHERE m.id = o.id AND m.status = 'sending' AND m.attempts = o.attempt
  RETURNING m.id`;

@Injectable()
export class DispatchRepository {
  private readonly toEntity: (row: Record<string, unknown>) => MessageEntity;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    this.toEntity = rowMapper(dataSource, MessageEntity);
  }

  async claimDue(limit: number, leaseSeconds: number): Promise<ClaimedMessage[]> {
    const rows = await queryRows(this.dataSource.manager, CLAIM_DUE, [limit, leaseSeconds]);
    return rows.map((row) => ({ message: this.toEntity(row), leaseExpired: row.lease_expired === true }));
  }

  /** Returns how many outcomes were written; the rest had been claimed again by another worker. */
  async recordOutcomes(outcomes: readonly RecordedOutcome[]): Promise<number> {
    if (outcomes.length === 0) return 0;
    const column = <T>(pick: (o: RecordedOutcome) => T | undefined) => outcomes.map((o) => pick(o) ?? null);
    const rows = await queryRows(this.dataSource.manager, RECORD_OUTCOMES, [
      column((o) => o.id),
      column((o) => o.attempt),
      column((o) => o.status),
      column((o) => o.retriesCount),
      column((o) => (o.status === 'pending' ? o.retryInMs : undefined)),
      column((o) => (o.status === 'sent' ? undefined : o.error)),
      column((o) => (o.status === 'sent' ? o.providerMessageId : undefined)),
      column((o) => o.sentAt),
    ]);
    return rows.length;
  }
}
