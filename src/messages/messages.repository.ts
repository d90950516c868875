import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, EntityManager, Repository } from 'typeorm';
import { queryRows, rowMapper } from '../database/raw-sql';
import type { ProviderName } from '../providers/messengers';
import { MessageAttemptEntity } from './message-attempt.entity';
import { MessageEntity, MessageStatus } from './message.entity';

export interface NewMessages {
  readonly body: string;
  /** sha256 of body: the dedup key. */
  readonly bodyHash: Buffer;
  /** null: now. */
  readonly sendAt: Date | null;
  readonly recipients: ReadonlyArray<{ readonly provider: ProviderName; readonly recipient: string }>;
}

export interface StoredMessage {
  readonly message: MessageEntity;
  /** The same body was already queued for this provider + recipient: `message` is that one. */
  readonly duplicate: boolean;
}

export interface MessageFilter {
  readonly status?: MessageStatus;
  readonly provider?: ProviderName;
  readonly recipient?: string;
}

/**
 * Inserts one body for many recipients in one statement. The partial unique index messages_dedup_key
 * decides what is a duplicate, so concurrent identical requests cannot both insert; ON CONFLICT DO NOTHING
 * turns those rows into "already there" instead of an error. Rows go in in key order, so two requests
 * that share recipients in different orders wait for each other instead of deadlocking.
 * next_attempt_at uses the database's clock, the same clock the claim compares it with.
 */
const INSERT_NEW = `
  INSERT INTO messages (provider, recipient, body, body_hash, send_at, next_attempt_at)
  SELECT r.provider, r.recipient, $3, $4, COALESCE($5, now()), GREATEST(COALESCE($5, now()), now())
  FROM unnest($1::varchar[], $2::varchar[]) AS r(provider, recipient)
  ORDER BY r.provider, r.recipient
  ON CONFLICT (provider, recipient, body_hash) WHERE status <> 'cancelled' DO NOTHING
  RETURNING *`;

/** The messages that made INSERT_NEW skip a recipient: a new statement, so it sees what just committed. */
const SELECT_EXISTING = `
  SELECT m.* FROM messages m
  JOIN unnest($1::varchar[], $2::varchar[]) AS r(provider, recipient)
    ON m.provider = r.provider AND m.recipient = r.recipient
  WHERE m.body_hash = $3 AND m.status <> 'cancelled'`;

/** Puts a failed message back in the queue, due now, with a fresh retry budget; only if it is still failed. */
const RETRY_FAILED = `
  UPDATE messages
  SET status = 'pending', next_attempt_at = now(), retries_count = 0, locked_until = NULL, updated_at = now()
  WHERE id = $1 AND status = 'failed'
  RETURNING *`;

/**
 * Cancels a message only while it is pending. The dispatcher's claim (CLAIM_DUE) takes a row by setting it
 * 'sending' under FOR UPDATE SKIP LOCKED, so the two can't both win: a row this UPDATE holds is skipped by
 * the claim, and once a claim has taken the row, this UPDATE waits for it, re-reads the row and no longer
 * matches. Cancelled rows step out of messages_dedup_key, so the same body may be queued again.
 */
const CANCEL_PENDING = `
  UPDATE messages
  SET status = 'cancelled', next_attempt_at = NULL, updated_at = now()
  WHERE id = $1 AND status = 'pending'
  RETURNING *`;

const recipientKey = (provider: string, recipient: string) => `${provider}\u0000${recipient}`;

@Injectable()
export class MessagesRepository {
  private readonly toEntity: (row: Record<string, unknown>) => MessageEntity;

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectRepository(MessageEntity) private readonly messages: Repository<MessageEntity>,
    @InjectRepository(MessageAttemptEntity) private readonly attempts: Repository<MessageAttemptEntity>,
  ) {
    this.toEntity = rowMapper(dataSource, MessageEntity);
  }

  /** Stores the new messages atomically and finds the duplicates; the result is in `recipients` order. */
  insertMany(input: NewMessages): Promise<StoredMessage[]> {
    return this.dataSource.transaction(async (manager) => {
      const stored = new Map<string, StoredMessage>();
      let missing = input.recipients;
      // A duplicate can be cancelled between our INSERT and SELECT; its recipient is then free again, and
      // the next round inserts it. Two rounds settle any real interleaving; the third is a safety margin.
      for (let round = 0; missing.length > 0 && round < 3; round++) {
        for (const row of await this.insertNew(manager, input, missing)) {
          stored.set(recipientKey(row.provider, row.recipient), { message: row, duplicate: false });
        }
        missing = missing.filter((r) => !stored.has(recipientKey(r.provider, r.recipient)));
        if (missing.length === 0) break;
        for (const row of await this.selectExisting(manager, input.bodyHash, missing)) {
          stored.set(recipientKey(row.provider, row.recipient), { message: row, duplicate: true });
        }
        missing = missing.filter((r) => !stored.has(recipientKey(r.provider, r.recipient)));
      }
      if (missing.length > 0) throw new Error(`Could neither insert nor find ${missing.length} message(s)`);
      return input.recipients.map((r) => stored.get(recipientKey(r.provider, r.recipient))!);
    });
  }

  getById(id: string): Promise<MessageEntity | null> {
    return this.messages.findOneBy({ id });
  }

  /** The message's attempts, first to last. */
  listAttempts(messageId: string): Promise<MessageAttemptEntity[]> {
    return this.attempts.find({ where: { messageId }, order: { attempt: 'ASC' } });
  }

  /** The message back in the queue, or null when it is not (or no longer) failed. */
  async retryFailed(id: string): Promise<MessageEntity | null> {
    const [row] = await queryRows(this.dataSource.manager, RETRY_FAILED, [id]);
    return row ? this.toEntity(row) : null;
  }

  /** The cancelled message, or null when it is not (or no longer) pending. */
  async cancelPending(id: string): Promise<MessageEntity | null> {
    const [row] = await queryRows(this.dataSource.manager, CANCEL_PENDING, [id]);
    return row ? this.toEntity(row) : null;
  }

  exists(id: string): Promise<boolean> {
    return this.messages.existsBy({ id });
  }

  /** Newest first, after the message `afterId` (keyset pagination: no OFFSET, stable under inserts). */
  list(filter: MessageFilter, limit: number, afterId?: string): Promise<MessageEntity[]> {
    const query = this.messages
      .createQueryBuilder('m')
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

  private async insertNew(manager: EntityManager, input: NewMessages, recipients: NewMessages['recipients']) {
    const rows = await queryRows(manager, INSERT_NEW, [
      recipients.map((r) => r.provider),
      recipients.map((r) => r.recipient),
      input.body,
      input.bodyHash,
      input.sendAt,
    ]);
    return rows.map(this.toEntity);
  }

  private async selectExisting(manager: EntityManager, bodyHash: Buffer, recipients: NewMessages['recipients']) {
    const rows = await queryRows(manager, SELECT_EXISTING, [
      recipients.map((r) => r.provider),
      recipients.map((r) => r.recipient),
      bodyHash,
    ]);
    return rows.map(this.toEntity);
  }
}
