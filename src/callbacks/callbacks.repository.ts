import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { queryRows } from '../database/raw-sql';
import type { CallbackEventState, CallbackEventType } from './callback-event.entity';

/** An event claimed for one delivery attempt. */
export interface ClaimedEvent {
  readonly id: string;
  readonly messageId: string;
  readonly client: string;
  readonly type: CallbackEventType;
  readonly url: string;
  /** The message as GET showed it at the move: the body's `data`. */
  readonly payload: Record<string, unknown>;
  /** This attempt's number, and the claim's fencing token. */
  readonly attempt: number;
  readonly firstAttemptAt: Date;
  /** The body's `timestamp`. */
  readonly createdAt: Date;
}

/** What one attempt leaves its event as, and the attempt itself (a row of callback_attempts). */
export interface DeliveryRecord {
  readonly eventId: string;
  readonly attempt: number;
  readonly state: CallbackEventState;
  /** pending: how long until the next attempt. */
  readonly retryInMs?: number;
  readonly attemptedAt: Date;
  readonly statusCode: number | null;
  readonly error: string | null;
  readonly latencyMs: number;
}

/** One row of GET /messages/:id/callbacks. */
export interface CallbackAttemptRow {
  readonly event_id: string;
  readonly type: CallbackEventType;
  readonly attempt: number;
  readonly attempted_at: Date;
  readonly status_code: number | null;
  readonly error: string | null;
  readonly latency_ms: number;
}

/**
 * Claims due events in one statement, as CLAIM_DUE claims messages: SKIP LOCKED lets any number of workers
 * share the outbox, and the lease (next_attempt_at moved past the attempt) hands an event back if its
 * worker dies mid-delivery, to be delivered again: at least once. `attempts + 1` is the fencing token.
 * An event is claimable only while no earlier event of its message is still pending (delivered or dead
 * ones no longer hold it back), so one message's events reach the receiver in the order they happened.
 * callback_events_due_idx serves the scan, callback_events_message_idx the look-back.
 */
const CLAIM_DUE = `
  WITH due AS MATERIALIZED (
    SELECT e.id FROM callback_events e
    WHERE e.state = 'pending' AND e.next_attempt_at <= now()
      AND NOT EXISTS (SELECT 1 FROM callback_events p
                      WHERE p.message_id = e.message_id AND p.state = 'pending'
                        AND (p.created_at, p.id) < (e.created_at, e.id))
    ORDER BY e.next_attempt_at
    LIMIT $1
    FOR UPDATE SKIP LOCKED)
  UPDATE callback_events c
  SET attempts = c.attempts + 1,
      first_attempt_at = COALESCE(c.first_attempt_at, now()),
      next_attempt_at = now() + $2 * interval '1 millisecond'
  FROM due
  WHERE c.id = due.id
  RETURNING c.id, c.message_id, c.client, c.type, c.url, c.payload, c.attempts, c.first_attempt_at, c.created_at`;

/**
 * Writes a batch of attempts in one statement: each into callback_attempts, and each event's new state,
 * only while the claim that made the attempt still holds it (a worker whose lease ran out must not undo a
 * later claim's delivery). The attempts are history, and are kept either way.
 */
const RECORD_DELIVERIES = `
  WITH r AS (
    SELECT * FROM unnest($1::uuid[], $2::int[], $3::varchar[], $4::int[], $5::timestamptz[], $6::int[], $7::text[], $8::int[])
      AS r(event_id, attempt, state, retry_in_ms, attempted_at, status_code, error, latency_ms)
  ), history AS (
    INSERT INTO callback_attempts (event_id, attempt, attempted_at, status_code, error, latency_ms)
    SELECT event_id, attempt, attempted_at, status_code, error, latency_ms FROM r
    ON CONFLICT DO NOTHING
  )
  UPDATE callback_events c
  SET state = r.state,
      next_attempt_at = CASE WHEN r.state = 'pending' THEN now() + r.retry_in_ms * interval '1 millisecond' END
  FROM r
  WHERE c.id = r.event_id AND c.attempts = r.attempt AND c.state = 'pending'
  RETURNING c.id`;

/** When the next event is due (the first entry of the partial index), for an idle worker's nap. */
const NEXT_DUE = `SELECT min(next_attempt_at) AS due FROM callback_events WHERE state = 'pending'`;

/** A message's callback attempts, oldest first, if the message is the client's; no rows otherwise. */
const LIST_ATTEMPTS = `
  SELECT a.event_id, e.type, a.attempt, a.attempted_at, a.status_code, a.error, a.latency_ms
  FROM callback_events e
  JOIN callback_attempts a ON a.event_id = e.id
  WHERE e.message_id = $1 AND e.client = $2
  ORDER BY a.attempted_at, e.created_at, a.attempt`;

const MESSAGE_EXISTS = `SELECT 1 FROM messages WHERE id = $1 AND client = $2`;

/** The statements, for specs that run them directly. */
export const CALLBACKS_SQL = { claimDue: CLAIM_DUE, recordDeliveries: RECORD_DELIVERIES } as const;

interface ClaimedRow {
  id: string;
  message_id: string;
  client: string;
  type: CallbackEventType;
  url: string;
  payload: Record<string, unknown>;
  attempts: number;
  first_attempt_at: Date;
  created_at: Date;
}

/** The outbox's SQL: claiming, recording, and the API's read of the attempts. */
@Injectable()
export class CallbacksRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async claimDue(limit: number, leaseMs: number): Promise<ClaimedEvent[]> {
    const rows = await queryRows<ClaimedRow>(this.dataSource.manager, CLAIM_DUE, [limit, leaseMs]);
    return rows.map((row) => ({
      id: row.id,
      messageId: row.message_id,
      client: row.client,
      type: row.type,
      url: row.url,
      payload: row.payload,
      attempt: row.attempts,
      firstAttemptAt: row.first_attempt_at,
      createdAt: row.created_at,
    }));
  }

  /** Returns how many events' states were written; the rest had been claimed again (their lease ran out). */
  async recordDeliveries(records: readonly DeliveryRecord[]): Promise<number> {
    if (records.length === 0) return 0;
    const rows = await queryRows(this.dataSource.manager, RECORD_DELIVERIES, [
      records.map((r) => r.eventId),
      records.map((r) => r.attempt),
      records.map((r) => r.state),
      records.map((r) => (r.retryInMs === undefined ? null : Math.ceil(r.retryInMs))),
      records.map((r) => r.attemptedAt),
      records.map((r) => r.statusCode),
      records.map((r) => r.error),
      records.map((r) => Math.round(r.latencyMs)),
    ]);
    return rows.length;
  }

  async nextDueAt(): Promise<Date | null> {
    const [row] = await queryRows<{ due: Date | null }>(this.dataSource.manager, NEXT_DUE, []);
    return row?.due ?? null;
  }

  /** null when the message is not the client's (or does not exist). */
  async listAttempts(client: string, messageId: string): Promise<CallbackAttemptRow[] | null> {
    const [owned] = await queryRows(this.dataSource.manager, MESSAGE_EXISTS, [messageId, client]);
    if (!owned) return null;
    return queryRows<CallbackAttemptRow>(this.dataSource.manager, LIST_ATTEMPTS, [messageId, client]);
  }
}
