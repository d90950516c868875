import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { Brackets, DataSource, Repository, SelectQueryBuilder } from 'typeorm';
import { insertCallbackEvents } from '../callbacks/callback-events.sql';
import { queryRows, rowMapper } from '../database/raw-sql';
import { MESSENGER_NAMES, recipientSpellings, type MessengerName } from '../providers/messengers';
import { MessageAttemptEntity } from './message-attempt.entity';
import { releaseDedupKeys } from './message-keys.sql';
import { statusIn, targetOf, TRANSITIONS, type MessageStatus } from './message-status';
import { MessageEntity } from './message.entity';

export interface MessageFilter {
  readonly status?: MessageStatus;
  readonly provider?: MessengerName;
  /** As the caller wrote it: matched the way each messenger's recipients are stored (normalizeRecipient). */
  readonly recipient?: string;
}

/**
 * Puts a failed message back in the queue, due now, with a fresh retry budget; only if it is still failed.
 * Wakes the workers as a new message does.
 */
const RETRY_FAILED = `
  WITH requeued AS (
    UPDATE messages
    SET status = ${targetOf(TRANSITIONS.retry)}, next_attempt_at = now(), retries_count = 0, locked_until = NULL, updated_at = now()
    WHERE id = $1 AND client = $2 AND ${statusIn(TRANSITIONS.retry.from)}
    RETURNING *)
  SELECT requeued.*, pg_notify('messages_due', requeued.provider || ':0') FROM requeued`;

/**
 * Cancels a message only while it is pending. The dispatcher's claim (CLAIM_DUE) takes a row by setting it
 * 'sending' under FOR UPDATE SKIP LOCKED, so the two can't both win: a row this UPDATE holds is skipped by
 * the claim, and once a claim has taken the row, this UPDATE waits for it, re-reads the row and no longer
 * matches. A cancelled message's key leaves message_keys in the same statement, so the same body may be
 * queued again. A message with a callback_url gets its message.cancelled event in the same statement
 * (insertCallbackEvents).
 */
const CANCEL_PENDING = `
  WITH cancelled AS (
    UPDATE messages
    SET status = ${targetOf(TRANSITIONS.cancel)}, next_attempt_at = NULL, updated_at = now()
    WHERE id = $1 AND client = $2 AND ${statusIn(TRANSITIONS.cancel.from)}
    RETURNING *
  ), unkeyed AS (${releaseDedupKeys('cancelled')}
  ), events AS (${insertCallbackEvents('cancelled')}
  )
  SELECT * FROM cancelled`;

/** The statements that change one message's status, for the spec that runs them from every status. */
export const MESSAGES_SQL = { retryFailed: RETRY_FAILED, cancelPending: CANCEL_PENDING } as const;

/** The API's reads, and its changes to one message at a time; new messages go in through MessageIngest. */
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
    if (filter.recipient)
      this.whereRecipient(query, filter.recipient, filter.provider ? [filter.provider] : MESSENGER_NAMES);
    if (afterId) {
      // Compared in SQL: created_at has microseconds, which a JavaScript Date would round away.
      query.andWhere('(m.created_at, m.id) < (SELECT c.created_at, c.id FROM messages c WHERE c.id = :afterId)', {
        afterId,
      });
    }
    return query.getMany();
  }

  /**
   * The recipient as each messenger stores it: one comparison when every messenger spells it alike, else
   * one per spelling, each for the messengers that spell it so (`@SomeUser` is `@someuser` where
   * usernames ignore case). Plain equalities on the row, checked along messages_created_idx like the other filters.
   */
  private whereRecipient(
    query: SelectQueryBuilder<MessageEntity>,
    recipient: string,
    providers: readonly MessengerName[],
  ): void {
    const spellings = [...recipientSpellings(recipient, providers)];
    if (spellings.length === 1) {
      query.andWhere('m.recipient = :recipient', { recipient: spellings[0][0] });
      return;
    }
    query.andWhere(
      new Brackets((any) =>
        spellings.forEach(([spelling, spelledBy], i) =>
          any.orWhere(`(m.provider IN (:...providers${i}) AND m.recipient = :recipient${i})`, {
            [`providers${i}`]: spelledBy,
            [`recipient${i}`]: spelling,
          }),
        ),
      ),
    );
  }
}
