import { Injectable } from '@nestjs/common';
import { CallbackPolicy } from '../callbacks/callback-policy';
import { DomainError, DomainErrorCode } from '../common/domain-error';
import { bodyDedupKey } from './canonical-body';
import { CreateMessageDto } from './dto/create-message.dto';
import { ListMessagesQueryDto } from './dto/list-messages.query.dto';
import { MessageAttemptEntity } from './message-attempt.entity';
import { MessageIngest, StoredMessage } from './message-ingest';
import { startsFrom, TRANSITIONS } from './message-status';
import { MessageEntity } from './message.entity';
import { MessagesRepository } from './messages.repository';

export interface MessagePage {
  readonly items: MessageEntity[];
  readonly nextCursor: string | null;
}

/**
 * Every method acts for one client, the caller: it sees, changes and deduplicates against that client's
 * messages only, and another client's message is answered exactly as one that doesn't exist.
 */
@Injectable()
export class MessagesService {
  constructor(
    private readonly messages: MessagesRepository,
    private readonly ingest: MessageIngest,
    private readonly callbacks: CallbackPolicy,
  ) {}

  /**
   * Queues the body for every recipient; recipients that already have it (the same text to a reader: see
   * canonicalBody) get their existing message back (with its own callback_url). The body is stored and
   * delivered as sent.
   */
  async create(client: string, request: CreateMessageDto): Promise<StoredMessage[]> {
    return this.ingest.insertMany({
      client,
      // Checked before anything is stored: a refused callback_url stores nothing.
      callbackUrl: await this.callbacks.urlFor(client, request.callback_url),
      body: request.body,
      bodyHash: bodyDedupKey(request.body),
      // Absent or null: now.
      sendAt: request.send_at ? new Date(request.send_at) : null,
      recipients: request.recipients,
    });
  }

  async getById(client: string, id: string): Promise<MessageEntity> {
    const message = await this.messages.getById(client, id);
    if (!message) throw new DomainError(DomainErrorCode.MessageNotFound, `No message has id ${id}`, { field: 'id' });
    return message;
  }

  /** The attempts of a message, first to last. */
  async listAttempts(client: string, id: string): Promise<MessageAttemptEntity[]> {
    await this.getById(client, id);
    return this.messages.listAttempts(id);
  }

  /** Puts a failed message back in the queue (due now, with a fresh retry budget, its history kept). */
  async retry(client: string, id: string): Promise<MessageEntity> {
    const requeued = await this.messages.retryFailed(client, id);
    if (requeued) return requeued;
    const current = await this.getById(client, id);
    throw new DomainError(
      DomainErrorCode.MessageNotRetryable,
      `Only a failed message can be retried; this one is ${current.status}`,
      { field: 'id' },
    );
  }

  /**
   * Cancels a pending message; one already claimed by a worker (sending), finished, or cancelled can't be.
   * A message can go back to pending between the cancel and the look-up that explains its refusal (its
   * attempt failed and a retry was scheduled, or a failed one was retried): it is cancellable again then,
   * so the cancel is tried again, a bounded number of times.
   */
  async cancel(client: string, id: string): Promise<MessageEntity> {
    for (let round = 1; ; round++) {
      const cancelled = await this.messages.cancelPending(client, id);
      if (cancelled) return cancelled;
      const { status } = await this.getById(client, id);
      if (!startsFrom(TRANSITIONS.cancel, status) || round === 3) {
        throw new DomainError(
          DomainErrorCode.MessageNotCancellable,
          `Only a pending message can be cancelled; this one is ${status}`,
          { field: 'id' },
        );
      }
    }
  }

  async list(client: string, query: ListMessagesQueryDto): Promise<MessagePage> {
    if (query.cursor && !(await this.messages.exists(client, query.cursor))) {
      throw new DomainError(DomainErrorCode.UnknownCursor, 'is not a next_cursor from an earlier page', {
        field: 'cursor',
      });
    }
    const { status, provider, recipient } = query;
    // One row more than asked tells whether there is a next page without counting.
    const rows = await this.messages.list(client, { status, provider, recipient }, query.limit + 1, query.cursor);
    const items = rows.slice(0, query.limit);
    return { items, nextCursor: rows.length > query.limit ? items[items.length - 1].id : null };
  }
}
