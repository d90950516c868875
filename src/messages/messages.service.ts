import { Injectable } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { DomainError, DomainErrorCode } from '../common/domain-error';
import { CreateMessageDto } from './dto/create-message.dto';
import { ListMessagesQueryDto } from './dto/list-messages.query.dto';
import { MessageAttemptEntity } from './message-attempt.entity';
import { MessageEntity } from './message.entity';
import { MessagesRepository, StoredMessage } from './messages.repository';

export interface MessagePage {
  readonly items: MessageEntity[];
  readonly nextCursor: string | null;
}

@Injectable()
export class MessagesService {
  constructor(private readonly messages: MessagesRepository) {}

  /** Queues the body for every recipient; recipients that already have it get their existing message back. */
  create(request: CreateMessageDto): Promise<StoredMessage[]> {
    return this.messages.insertMany({
      body: request.body,
      bodyHash: createHash('sha256').update(request.body, 'utf8').digest(),
      // Absent or null: now.
      sendAt: request.send_at ? new Date(request.send_at) : null,
      recipients: request.recipients,
    });
  }

  async getById(id: string): Promise<MessageEntity> {
    const message = await this.messages.getById(id);
    if (!message) throw new DomainError(DomainErrorCode.MessageNotFound, `No message has id ${id}`, { field: 'id' });
    return message;
  }

  /** The attempts of a message, first to last. */
  async listAttempts(id: string): Promise<MessageAttemptEntity[]> {
    await this.getById(id);
    return this.messages.listAttempts(id);
  }

  /** Puts a failed message back in the queue (due now, with a fresh retry budget, its history kept). */
  async retry(id: string): Promise<MessageEntity> {
    const requeued = await this.messages.retryFailed(id);
    if (requeued) return requeued;
    const current = await this.getById(id);
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
  async cancel(id: string): Promise<MessageEntity> {
    for (let round = 1; ; round++) {
      const cancelled = await this.messages.cancelPending(id);
      if (cancelled) return cancelled;
      const { status } = await this.getById(id);
      if (status !== 'pending' || round === 3) {
        throw new DomainError(
          DomainErrorCode.MessageNotCancellable,
          `Only a pending message can be cancelled; this one is ${status}`,
          { field: 'id' },
        );
      }
    }
  }

  async list(query: ListMessagesQueryDto): Promise<MessagePage> {
    if (query.cursor && !(await this.messages.exists(query.cursor))) {
      throw new DomainError(DomainErrorCode.UnknownCursor, 'is not a next_cursor from an earlier page', { field: 'cursor' });
    }
    const { status, provider, recipient } = query;
    // One row more than asked tells whether there is a next page without counting.
    const rows = await this.messages.list({ status, provider, recipient }, query.limit + 1, query.cursor);
    const items = rows.slice(0, query.limit);
    return { items, nextCursor: rows.length > query.limit ? items[items.length - 1].id : null };
  }
}
