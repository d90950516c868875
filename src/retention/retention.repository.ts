import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { queryRows } from '../database/raw-sql';
import { releaseDedupKeys } from '../messages/message-keys.sql';
import { FINISHED_STATUSES, statusIn, statusNotIn, UNDEDUPLICATED_STATUSES } from '../messages/message-status';
import { MESSENGER_NAMES } from '../providers/messengers';

/** What one batch removed. */
export interface RemovedBatch {
  readonly messages: number;
  readonly inbox: number;
  /** Dedup records written for the removed messages that dedup (sent, failed). */
  readonly records: number;
}

/**
 * Removes one batch of expired finished messages, with everything that hangs off them, in one statement
 * (atomic by itself): a message and its dedup record are never both gone nor both there to a reader.
 * - `expired` walks messages_finished_idx from the oldest finish; SKIP LOCKED lets several workers remove
 *   at once without waiting on each other or taking the same rows, and skips a row a request holds (a
 *   retry or cancel in flight). FOR UPDATE re-checks the status and time on the newest version, so a
 *   failed message retried meanwhile (pending again) is left alone.
 * - The rows are deleted by the ctid the locking scan returned, pinned to a TID scan as in the claim
 *   (src/dispatch/dispatch.repository.ts): joined otherwise, the planner may scan the whole table.
 * - Attempts are deleted by message id (message_attempts' primary key leads with it). Status callbacks go
 *   by their foreign key, ON DELETE CASCADE (callback_events, and their callback_attempts by theirs). A
 *   message whose callback is still being delivered (pending) is kept until it is delivered or dead.
 * - The emulator's inbox keeps no foreign key (it is the messenger's record): its rows are found by
 *   emulator_inbox_message_idx (provider, inbox_message_id(key)), every messenger at once.
 * - Its key leaves message_keys (by that table's primary key), and a message that dedups leaves a dedup
 *   record instead (see DedupRecordEntity): its key and what a duplicate answer shows. A record already
 *   there (a text queued again in the narrow race STORE_NEW describes) stays.
 * Batches are small (RETENTION_BATCH_SIZE) so that each statement holds its locks briefly; the service
 * pauses between them so that dispatch keeps its pace.
 */
const REMOVE_EXPIRED = `
  WITH expired AS MATERIALIZED (
    SELECT ctid AS row_id FROM messages
    WHERE ${statusIn(FINISHED_STATUSES)} AND updated_at < now() - make_interval(secs => $1)
      AND NOT EXISTS (SELECT 1 FROM callback_events c WHERE c.message_id = messages.id AND c.state = 'pending')
    ORDER BY updated_at
    LIMIT $2
    FOR UPDATE SKIP LOCKED
  ), removed AS (
    DELETE FROM messages m
    WHERE m.ctid = ANY (ARRAY(SELECT row_id FROM expired))
    RETURNING m.id, m.client, m.provider, m.recipient, m.body_hash, m.status, m.send_at, m.created_at,
              m.updated_at, m.attempts, m.retries_count
  ), attempts AS (
    DELETE FROM message_attempts a WHERE a.message_id = ANY (ARRAY(SELECT id FROM removed))
  ), unkeyed AS (${releaseDedupKeys('removed')}
  ), inbox AS (
    DELETE FROM emulator_inbox e
    WHERE e.provider = ANY ($3::varchar[]) AND inbox_message_id(e.idempotency_key) = ANY (ARRAY(SELECT id FROM removed))
    RETURNING 1
  ), recorded AS (
    INSERT INTO dedup_records (message_id, send_at, created_at, finished_at, attempts, retries_count, client, provider,
                               recipient, body_hash, status)
    SELECT id, send_at, created_at, updated_at, attempts, retries_count, client, provider, recipient, body_hash, status
    FROM removed
    WHERE ${statusNotIn(UNDEDUPLICATED_STATUSES)}
    ON CONFLICT DO NOTHING
    RETURNING 1
  )
  SELECT (SELECT count(*) FROM removed)::int AS messages,
         (SELECT count(*) FROM inbox)::int AS inbox,
         (SELECT count(*) FROM recorded)::int AS records`;

/** Removes one batch of dedup records older than DEDUP_RETENTION, oldest first, as REMOVE_EXPIRED does messages. */
const REMOVE_EXPIRED_RECORDS = `
  DELETE FROM dedup_records
  WHERE ctid = ANY (ARRAY(
    SELECT ctid FROM dedup_records
    WHERE finished_at < now() - make_interval(secs => $1)
    ORDER BY finished_at
    LIMIT $2
    FOR UPDATE SKIP LOCKED))`;

/** The statements, for the spec that checks their plans stay on indexes. */
export const RETENTION_SQL = { removeExpired: REMOVE_EXPIRED, removeExpiredRecords: REMOVE_EXPIRED_RECORDS } as const;

/** Retention's SQL: the removal of expired messages and of expired dedup records. */
@Injectable()
export class RetentionRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Removes up to `limit` finished messages that finished more than `olderThanSeconds` ago. */
  async removeExpiredMessages(olderThanSeconds: number, limit: number): Promise<RemovedBatch> {
    const [row] = await queryRows<RemovedBatch>(this.dataSource.manager, REMOVE_EXPIRED, [
      olderThanSeconds,
      limit,
      MESSENGER_NAMES,
    ]);
    return row;
  }

  /** Removes up to `limit` dedup records of messages that finished more than `olderThanSeconds` ago. */
  async removeExpiredRecords(olderThanSeconds: number, limit: number): Promise<number> {
    const [, count] = await this.dataSource.query<[unknown, number]>(REMOVE_EXPIRED_RECORDS, [olderThanSeconds, limit]);
    return count;
  }
}
