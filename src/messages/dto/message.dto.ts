import { isoTime } from '../../common/iso-time';
import type { MessageEntity } from '../message.entity';
import { MESSAGE_STATUSES, type MessageStatus } from '../message-status';
import { EXAMPLE_MESSENGER } from '../../providers/messenger-docs';
import { MESSENGER_NAMES, type MessengerName } from '../../providers/messengers';
import { ApiProperty, OmitType } from '@nestjs/swagger';
import { ATTEMPT_OUTCOMES, type AttemptOutcomeName, type MessageAttemptEntity } from '../message-attempt.entity';

// The type is spelled out: for `string | null`, SWC (the tests' compiler) reflects Object where tsc reflects String.
// So is `nullable` (the Swagger plugin reads it from `| null` too, but the decorator should not need the plugin).
type Nullable = { nullable?: true };
const Uuid = (extra: Nullable = {}) => ApiProperty({ type: String, format: 'uuid', ...extra });
const DateTime = (extra: Nullable = {}) => ApiProperty({ type: String, format: 'date-time', ...extra });
const Integer = (minimum: number, extra: Nullable = {}) => ApiProperty({ type: 'integer', minimum, ...extra });

/** A message as the API shows it. */
export class MessageDto {
  /** A UUIDv7: its first 48 bits are the time it was created. @example "01a22161-fe80-7a31-9b8e-5d2f4c6a1e07" */
  @Uuid()
  id: string;

  @ApiProperty({ enum: MESSENGER_NAMES, example: EXAMPLE_MESSENGER.name })
  provider: MessengerName;

  /** @example "123456789" */
  recipient: string;

  /** @example "Your order #1042 has shipped." */
  body: string;

  /**
   * pending: waiting for send_at or for a retry; sending: claimed by a worker; sent: accepted by the
   * messenger; failed: gave up (see last_error); cancelled.
   */
  @ApiProperty({ enum: MESSAGE_STATUSES, example: 'pending' })
  status: MessageStatus;

  /** When the caller asked for it to be sent. @example "2026-12-01T06:00:00.000Z" */
  @DateTime()
  send_at: string;

  /** When the next attempt is due; null once nothing more will be attempted. @example "2026-12-01T06:00:00.000Z" */
  @DateTime({ nullable: true })
  next_attempt_at: string | null;

  /** Retries spent so far; at most MAX_RETRIES. @example 0 */
  @Integer(0)
  retries_count: number;

  /** Attempts started so far. @example 0 */
  @Integer(0)
  attempts: number;

  /** The error of the latest failed attempt, in the messenger's words. @example null */
  last_error: string | null;

  /**
   * Its code: the messenger's own ("403", "131047", "5"), or ours ("timeout", "exception",
   * "lease_expired", "malformed_response"). @example null
   */
  last_error_code: string | null;

  /** The id the messenger gave the message once it accepted it. @example null */
  provider_message_id: string | null;

  /**
   * The sender account (its name in SENDERS_FILE) the message goes out with, chosen when it was accepted; null:
   * the built-in emulator. @example null
   */
  @ApiProperty({ type: String, nullable: true, example: null })
  sender: string | null;

  /** When the messenger accepted it. @example null */
  @DateTime({ nullable: true })
  sent_at: string | null;

  /**
   * Where its terminal states (sent, failed, cancelled) are told as signed callbacks: the request's
   * callback_url, or the client's default; null: nowhere. @example null
   */
  @ApiProperty({ type: String, format: 'uri', nullable: true })
  callback_url: string | null;

  /** @example "2026-11-28T09:00:00.000Z" */
  @DateTime()
  created_at: string;

  /** @example "2026-11-28T09:00:00.000Z" */
  @DateTime()
  updated_at: string;
}

/**
 * One entry of a POST /messages answer: the message without its body (the caller has it, and a 1000-recipient
 * answer would repeat it 1000 times), and whether it already existed.
 */
export class AcceptedMessageDto extends OmitType(MessageDto, ['body'] as const) {
  /** true: this body was already queued or sent to this recipient on this messenger; this is that message. @example false */
  duplicate: boolean;
}

export class CreateMessagesResponseDto {
  /** One entry per requested recipient, in request order: the message without its body (GET /messages/{id} has it). */
  messages: AcceptedMessageDto[];
}

export class MessagePageDto {
  /** Newest first. */
  items: MessageDto[];

  /** Pass as `cursor` to get the next page; null on the last page. @example null */
  @Uuid({ nullable: true })
  next_cursor: string | null;
}

/** One attempt to deliver a message. */
export class AttemptDto {
  /** 1 for the first. @example 1 */
  @Integer(1)
  attempt: number;

  /** null for a lost attempt (its worker stopped before reporting). @example "2026-12-01T06:00:00.120Z" */
  @DateTime({ nullable: true })
  started_at: string | null;

  /** @example 84 */
  @Integer(0, { nullable: true })
  latency_ms: number | null;

  /**
   * sent / failed: accepted or refused for good; retry: a transient failure that cost a retry (none when the
   * sender account's credentials were refused: the code says so, and the message waits for the account);
   * rate_limited: the messenger asked us to slow down (no retry spent); lost: the worker stopped mid-attempt.
   */
  @ApiProperty({ enum: ATTEMPT_OUTCOMES, example: 'retry' })
  outcome: AttemptOutcomeName;

  /** The messenger's code, or ours. @example "502" */
  code: string | null;

  /** @example "Bad Gateway" */
  description: string | null;

  /** @example null */
  provider_message_id: string | null;
}

export class AttemptListDto {
  /** First to last. */
  items: AttemptDto[];
}

export function toAttemptDto(attempt: MessageAttemptEntity): AttemptDto {
  return {
    attempt: attempt.attempt,
    started_at: iso(attempt.startedAt),
    latency_ms: attempt.latencyMs,
    outcome: attempt.outcome,
    code: attempt.code,
    description: attempt.description,
    provider_message_id: attempt.providerMessageId,
  };
}

const iso = (date: Date | null): string | null => (date === null ? null : isoTime(date.getTime()));

/** An entry of a POST /messages answer, built whole rather than copied: a 1000-recipient answer has 1000. */
export function toAcceptedMessageDto(message: MessageEntity, duplicate: boolean): AcceptedMessageDto {
  const dto = messageFields(message) as AcceptedMessageDto;
  dto.duplicate = duplicate;
  return dto;
}

export function toMessageDto(message: MessageEntity): MessageDto {
  const dto = messageFields(message) as MessageDto;
  dto.body = message.body;
  return dto;
}

/** Every field of a message as the API shows it, but its body. */
function messageFields(message: MessageEntity): Omit<MessageDto, 'body'> {
  return {
    id: message.id,
    provider: message.provider,
    recipient: message.recipient,
    status: message.status,
    send_at: isoTime(message.sendAt.getTime()),
    next_attempt_at: iso(message.nextAttemptAt),
    retries_count: message.retriesCount,
    attempts: message.attempts,
    last_error: message.lastError,
    last_error_code: message.lastErrorCode,
    provider_message_id: message.providerMessageId,
    sender: message.sender,
    sent_at: iso(message.sentAt),
    callback_url: message.callbackUrl ?? null,
    created_at: isoTime(message.createdAt.getTime()),
    updated_at: isoTime(message.updatedAt.getTime()),
  };
}
