import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, Repository } from 'typeorm';
import { MicroBatcher } from '../common/micro-batcher';
import { queryRows, rowMapper } from '../database/raw-sql';
import type { ProviderName } from '../providers/messengers';
import { MessageAttemptEntity } from './message-attempt.entity';
import { MessageEntity, MessageStatus } from './message.entity';

export interface NewMessages {
  /** The API client the messages belong to; duplicates are found among its own messages only. */
  readonly client: string;
  readonly body: string;
  /** sha256 of body: the dedup key. */
  readonly bodyHash: Buffer;
  /** null: now. */
  readonly sendAt: Date | null;
  readonly recipients: ReadonlyArray<{ readonly provider: ProviderName; readonly recipient: string }>;
}

export interface StoredMessage {
  readonly message: MessageEntity;
  /** The client had already queued this body for this provider + recipient: `message` is that one. */
  readonly duplicate: boolean;
}

export interface MessageFilter {
  readonly status?: MessageStatus;
  readonly provider?: ProviderName;
  readonly recipient?: string;
}

/**
 * Inserts the rows of every request in the batch in one statement. The partial unique index
 * messages_dedup_key (client, provider, recipient, body hash) decides what is a duplicate, so concurrent
 * identical requests cannot both insert; ON CONFLICT DO NOTHING turns those rows into "already there"
 * instead of an error. Rows go in in key order, so two transactions that share keys in different orders
 * wait for each other instead of deadlocking. A body and its client travel once per request ($3, $4, $7,
 * indexed by each row's $6), not once per row. next_attempt_at uses the database's clock, the same clock
 * the claim compares it with.
 */
const INSERT_NEW = `
  INSERT INTO messages (client, provider, recipient, body, body_hash, send_at, next_attempt_at)
  SELECT ($7::varchar[])[r.request], r.provider, r.recipient, ($3::text[])[r.request], ($4::bytea[])[r.request],
         COALESCE(($5::timestamptz[])[r.request], now()), GREATEST(COALESCE(($5::timestamptz[])[r.request], now()), now())
  FROM unnest($1::varchar[], $2::varchar[], $6::int[]) AS r(provider, recipient, request)
  ORDER BY ($7::varchar[])[r.request], r.provider, r.recipient, ($4::bytea[])[r.request]
  ON CONFLICT (client, provider, recipient, body_hash) WHERE status <> 'cancelled' DO NOTHING
  RETURNING *`;

/** The messages that made INSERT_NEW skip a row: a new statement, so it sees what just committed. */
const SELECT_EXISTING = `
  SELECT m.* FROM messages m
  JOIN unnest($1::varchar[], $2::varchar[], $3::varchar[], $4::bytea[]) AS r(client, provider, recipient, body_hash)
    ON m.client = r.client AND m.provider = r.provider AND m.recipient = r.recipient AND m.body_hash = r.body_hash
  WHERE m.status <> 'cancelled'`;

/**
 * Wakes the workers (DispatchWakeup LISTENs): sent on commit, so they never look before the rows exist.
 * The payload says which messengers have new work and when the earliest of it is due.
 */
const NOTIFY_DUE = `SELECT pg_notify('messages_due', $1)`;

/**
 * Puts a failed message back in the queue, due now, with a fresh retry budget; only if it is still failed.
 * Wakes the workers as a new message does.
 */
const RETRY_FAILED = `
  WITH requeued AS (
    UPDATE messages
    SET status = 'pending', next_attempt_at = now(), retries_count = 0, locked_until = NULL, updated_at = now()
    WHERE id = $1 AND client = $2 AND status = 'failed'
    RETURNING *)
  SELECT requeued.*, pg_notify('messages_due', requeued.provider || ':0') FROM requeued`;

/**
 * Cancels a message only while it is pending. The dispatcher's claim (CLAIM_DUE) takes a row by setting it
 * 'sending' under FOR UPDATE SKIP LOCKED, so the two can't both win: a row this UPDATE holds is skipped by
 * the claim, and once a claim has taken the row, this UPDATE waits for it, re-reads the row and no longer
 * matches. Cancelled rows step out of messages_dedup_key, so the same body may be queued again.
 */
const CANCEL_PENDING = `
  UPDATE messages
  SET status = 'cancelled', next_attempt_at = NULL, updated_at = now()
  WHERE id = $1 AND client = $2 AND status = 'pending'
  RETURNING *`;

const rowKey = (client: string, provider: string, recipient: string, bodyHash: Buffer) =>
  `${client}\u0000${provider}\u0000${recipient}\u0000${bodyHash.toString('hex')}`;

interface Row {
  readonly provider: ProviderName;
  readonly recipient: string;
  /** Index of its request in the batch, 1-based for SQL arrays. */
  readonly request: number;
}

@Injectable()
export class MessagesRepository {
  private readonly toEntity: (row: Record<string, unknown>) => MessageEntity;
  private readonly batcher: MicroBatcher<NewMessages, StoredMessage[]>;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectRepository(MessageEntity) private readonly messages: Repository<MessageEntity>,
    @InjectRepository(MessageAttemptEntity) private readonly attempts: Repository<MessageAttemptEntity>,
  ) {
    this.toEntity = rowMapper(dataSource, MessageEntity);
    this.batcher = new MicroBatcher((requests) => this.insertBatch(requests), 200);
  }

  /**
   * Stores the new messages atomically and finds the duplicates; the result is in `recipients` order.
   * Concurrent calls share one transaction and one INSERT (see MicroBatcher): under load the API makes a
   * few statements per batch of requests instead of a transaction per request.
   */
  insertMany(input: NewMessages): Promise<StoredMessage[]> {
    return this.batcher.call(input);
  }

  private insertBatch(requests: NewMessages[]): Promise<StoredMessage[][]> {
    return this.dataSource.transaction(async (manager) => {
      const rows: Row[] = requests.flatMap((request, i) => request.recipients.map((r) => ({ ...r, request: i + 1 })));
      const hashOf = (row: { request: number }) => requests[row.request - 1].bodyHash;
      const clientOf = (row: { request: number }) => requests[row.request - 1].client;
      const stored = new Map<string, StoredMessage>();
      const keyOf = (row: Row) => rowKey(clientOf(row), row.provider, row.recipient, hashOf(row));
      const keyOfMessage = (m: MessageEntity) => rowKey(m.client, m.provider, m.recipient, m.bodyHash);
      let missing = rows;
      // A duplicate can be cancelled between our INSERT and SELECT; its row is then free again, and the
      // next round inserts it. Two rounds settle any real interleaving; the third is a safety margin.
      for (let round = 0; missing.length > 0 && round < 3; round++) {
        for (const message of await this.insertNew(manager, requests, missing)) {
          stored.set(keyOfMessage(message), { message, duplicate: false });
        }
        missing = missing.filter((row) => !stored.has(keyOf(row)));
        if (missing.length === 0) break;
        const wanted = missing.map((row) => ({ ...row, client: clientOf(row), bodyHash: hashOf(row) }));
        for (const message of await this.selectExisting(manager, wanted)) {
          const key = keyOfMessage(message);
          // Within one batch, two requests may carry the same row: the first inserts it, the second finds it.
          if (!stored.has(key)) stored.set(key, { message, duplicate: true });
        }
        missing = missing.filter((row) => !stored.has(keyOf(row)));
      }
      if (missing.length > 0) throw new Error(`Could neither insert nor find ${missing.length} message(s)`);
      await this.notifyDue(manager, stored);
      const claimedBy = new Map<string, number>();
      return requests.map((request, i) =>
        request.recipients.map((r) => {
          const key = rowKey(request.client, r.provider, r.recipient, request.bodyHash);
          const entry = stored.get(key)!;
          // The row a request inserted is new to it; the same row seen by a later request in the batch is a duplicate.
          if (entry.duplicate) return entry;
          const owner = claimedBy.get(key);
          if (owner === undefined) claimedBy.set(key, i);
          return owner === undefined || owner === i ? entry : { message: entry.message, duplicate: true };
        }),
      );
    });
  }

  private async notifyDue(manager: EntityManager, stored: Map<string, StoredMessage>): Promise<void> {
    const earliest = new Map<string, number>();
    for (const { message, duplicate } of stored.values()) {
      if (duplicate || !message.nextAttemptAt) continue;
      const due = message.nextAttemptAt.getTime();
      earliest.set(message.provider, Math.min(earliest.get(message.provider) ?? due, due));
    }
    if (earliest.size === 0) return;
    await queryRows(manager, NOTIFY_DUE, [[...earliest].map(([provider, due]) => `${provider}:${due}`).join(',')]);
  }

  /** The client's message; another client's is as absent as one that doesn't exist. */
  getById(client: string, id: string): Promise<MessageEntity | null> {
    return this.messages.findOneBy({ id, client });
  }

  /** The message's attempts, first to last; check that the message is the caller's first (getById). */
  listAttempts(messageId: string): Promise<MessageAttemptEntity[]> {
    return this.attempts.find({ where: { messageId }, order: { attempt: 'ASC' } });
  }

  /** The message back in the queue, or null when it is not (or no longer) failed. */
  async retryFailed(client: string, id: string): Promise<MessageEntity | null> {
    const [row] = await queryRows(this.dataSource.manager, RETRY_FAILED, [id, client]);
    return row ? this.toEntity(row) : null;
  }

  /** The cancelled message, or null when it is not (or no longer) pending. */
  async cancelPending(client: string, id: string): Promise<MessageEntity | null> {
    const [row] = await queryRows(this.dataSource.manager, CANCEL_PENDING, [id, client]);
    return row ? this.toEntity(row) : null;
  }

  exists(client: string, id: string): Promise<boolean> {
    return this.messages.existsBy({ id, client });
  }

  /**
   * The client's messages, newest first, after the message `afterId` (keyset pagination: no OFFSET, stable
   * under inserts), along messages_created_idx (client, created_at, id).
   */
  list(client: string, filter: MessageFilter, limit: number, afterId?: string): Promise<MessageEntity[]> {
    const query = this.messages
      .createQueryBuilder('m')
      .where('m.client = :client', { client })
      .orderBy('m.createdAt', 'DESC')
      .addOrderBy('m.id', 'DESC')
      .limit(limit);
    if (filter.status) query.andWhere('m.status = :status', { status: filter.status });
    if (filter.provider) query.andWhere('m.provider = :provider', { provider: filter.provider });
    if (filter.recipient) query.andWhere('m.recipient = :recipient', { recipient: filter.recipient });
    if (afterId) {
      // Compared in SQL: created_at has microseconds, which a JavaScript Date would round away.
      query.andWhere('(m.created_at, m.id) < (SELECT c.created_at, c.id FROM messages c WHERE c.id = :afterId)', {
        afterId,
      });
    }
    return query.getMany();
  }

  private async insertNew(manager: EntityManager, requests: NewMessages[], rows: Row[]): Promise<MessageEntity[]> {
    const found = await queryRows(manager, INSERT_NEW, [
      rows.map((r) => r.provider),
      rows.map((r) => r.recipient),
      requests.map((r) => r.body),
      requests.map((r) => r.bodyHash),
      requests.map((r) => r.sendAt),
      rows.map((r) => r.request),
      requests.map((r) => r.client),
    ]);
    return found.map(this.toEntity);
  }

  private async selectExisting(manager: EntityManager, rows: (Row & { client: string; bodyHash: Buffer })[]): Promise<MessageEntity[]> {
    const found = await queryRows(manager, SELECT_EXISTING, [
      rows.map((r) => r.client),
      rows.map((r) => r.provider),
      rows.map((r) => r.recipient),
      rows.map((r) => r.bodyHash),
    ]);
    return found.map(this.toEntity);
  }
}
