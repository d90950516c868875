import { apiErrorExample, apiExample } from '../common/api-docs';
import type { ErrorCode } from '../common/error-codes';
import { EXAMPLE_MESSENGER, OTHER_EXAMPLE_MESSENGER } from '../providers/messenger-docs';
import { MESSENGER_NAMES } from '../providers/messengers';

/** Example bodies for the OpenAPI document (/docs), one per answer the messages API gives. */

// UUIDv7, as the service makes them: the first 48 bits are created_at in Unix milliseconds (2026-11-28T09:00:00Z).
const MESSAGE_ID = '01a22161-fe80-7a31-9b8e-5d2f4c6a1e07';
const OTHER_MESSAGE_ID = '01a22161-fe80-7c52-8f13-2b9e7d40a6c5';

const { example } = EXAMPLE_MESSENGER;

const pending = {
  id: MESSAGE_ID,
  provider: EXAMPLE_MESSENGER.name,
  recipient: example.recipient,
  body: 'Your order #1042 has shipped.',
  status: 'pending',
  send_at: '2026-12-01T06:00:00.000Z',
  next_attempt_at: '2026-12-01T06:00:00.000Z',
  retries_count: 0,
  attempts: 0,
  last_error: null,
  last_error_code: null,
  provider_message_id: null,
  sent_at: null,
  callback_url: null,
  created_at: '2026-11-28T09:00:00.000Z',
  updated_at: '2026-11-28T09:00:00.000Z',
};

const sent = {
  ...pending,
  status: 'sent',
  next_attempt_at: null,
  retries_count: 1,
  attempts: 2,
  last_error: example.transient.description,
  last_error_code: example.transient.code,
  provider_message_id: example.providerMessageId,
  sent_at: '2026-12-01T06:00:01.412Z',
  updated_at: '2026-12-01T06:00:01.412Z',
};

const failed = {
  ...pending,
  status: 'failed',
  next_attempt_at: null,
  attempts: 1,
  last_error: example.permanent.description,
  last_error_code: example.permanent.code,
  updated_at: '2026-12-01T06:00:00.310Z',
};

/** A message as POST /messages answers it: without the body, which the caller sent. */
const entry = ({ body: _body, ...fields }: { body: string } & Record<string, unknown>, duplicate: boolean) => ({
  ...fields,
  duplicate,
});

/** An error about one field, as DomainError words it: the message is the reason. */
const fieldError = (
  name: string,
  summary: string,
  statusCode: number,
  code: ErrorCode,
  field: string,
  reason: string,
) => apiErrorExample(name, summary, statusCode, code, reason, { field, reason });

/** A validation error, as the ValidationPipe words it: the message is "field: reason". */
const validation = (name: string, summary: string, field: string, reason: string) =>
  apiErrorExample(name, summary, 400, 'VALIDATION_FAILED', `${field}: ${reason}`, { field, reason });

export const MESSAGE_EXAMPLES = {
  queued: apiExample('MessagesQueued', 'Two recipients, both queued', {
    messages: [
      entry(pending, false),
      entry(
        {
          ...pending,
          id: OTHER_MESSAGE_ID,
          provider: OTHER_EXAMPLE_MESSENGER.name,
          recipient: OTHER_EXAMPLE_MESSENGER.example.recipient,
        },
        false,
      ),
    ],
  }),
  allDuplicates: apiExample('AllDuplicates', 'Already queued or sent', { messages: [entry(sent, true)] }),
  sent: apiExample('SentMessage', 'Sent on the second attempt', sent),
  page: apiExample('MessagePage', 'A page with more after it', { items: [sent], next_cursor: MESSAGE_ID }),
  attempts: apiExample('Attempts', 'A retry, then sent', {
    items: [
      {
        attempt: 1,
        started_at: '2026-12-01T06:00:00.102Z',
        latency_ms: 311,
        outcome: 'retry',
        code: example.transient.code,
        description: example.transient.description,
        provider_message_id: null,
      },
      {
        attempt: 2,
        started_at: '2026-12-01T06:00:01.398Z',
        latency_ms: 14,
        outcome: 'sent',
        code: null,
        description: null,
        provider_message_id: example.providerMessageId,
      },
    ],
  }),
  requeued: apiExample('RequeuedMessage', 'Pending again, due now', {
    ...failed,
    status: 'pending',
    next_attempt_at: '2026-12-01T07:30:00.000Z',
    updated_at: '2026-12-01T07:30:00.000Z',
  }),
  cancelled: apiExample('CancelledMessage', 'Cancelled', {
    ...pending,
    status: 'cancelled',
    next_attempt_at: null,
    updated_at: '2026-11-28T09:05:00.000Z',
  }),
  notFound: fieldError(
    'MessageNotFound',
    'No such message',
    404,
    'MESSAGE_NOT_FOUND',
    'id',
    `No message has id ${MESSAGE_ID}`,
  ),
  badId: validation('IdNotAUuid', 'The id is not a UUID', 'id', 'must be a UUID'),
  notRetryable: fieldError(
    'MessageNotRetryable',
    'Not failed',
    409,
    'MESSAGE_NOT_RETRYABLE',
    'id',
    'Only a failed message can be retried; this one is sent',
  ),
  notCancellable: fieldError(
    'MessageNotCancellable',
    'Not pending',
    409,
    'MESSAGE_NOT_CANCELLABLE',
    'id',
    'Only a pending message can be cancelled; this one is sending',
  ),
  idempotencyKeyInFlight: fieldError(
    'IdempotencyKeyInFlight',
    'The first request is still running',
    409,
    'IDEMPOTENCY_KEY_IN_FLIGHT',
    'Idempotency-Key',
    'A request with this Idempotency-Key is still in progress; try again in 1 s',
  ),
  idempotencyKeyReused: fieldError(
    'IdempotencyKeyReused',
    'The key of a different request',
    422,
    'IDEMPOTENCY_KEY_REUSED',
    'Idempotency-Key',
    'This Idempotency-Key was already used with a different request; use a new key for a new request',
  ),
  createErrors: [
    validation('BlankBody', 'Blank body', 'body', 'must not be blank'),
    validation(
      'BodyTooLong',
      'Body too long for a messenger',
      'body',
      `is ${EXAMPLE_MESSENGER.maxBodyLength + 904} characters, longer than ${EXAMPLE_MESSENGER.name} allows ${EXAMPLE_MESSENGER.maxBodyLength}`,
    ),
    validation(
      'BadRecipient',
      'Recipient in the wrong form',
      'recipients[0].recipient',
      `is not a valid ${OTHER_EXAMPLE_MESSENGER.name} recipient: expected ${OTHER_EXAMPLE_MESSENGER.recipientFormat}`,
    ),
    validation(
      'UnknownMessenger',
      'Unknown messenger',
      'recipients[0].provider',
      `must be one of: ${MESSENGER_NAMES.join(', ')}`,
    ),
    validation('NoRecipients', 'No recipients', 'recipients', 'must list at least one recipient'),
    validation(
      'RepeatedRecipient',
      'Same recipient twice',
      'recipients',
      `lists ${EXAMPLE_MESSENGER.name}:${example.recipient} more than once`,
    ),
    validation(
      'SendAtWithoutZone',
      'send_at without a time zone',
      'send_at',
      'must be an ISO 8601 date and time with a time zone, e.g. 2026-12-01T09:00:00+03:00',
    ),
    validation('UnknownField', 'Unknown field', 'priority', 'property priority should not exist'),
    validation(
      'CallbackUrlPrivate',
      'callback_url on a private network',
      'callback_url',
      'must not point to a private-network address: its host resolves to one',
    ),
    validation(
      'CallbackUrlWithoutSecret',
      'callback_url without a callback secret',
      'callback_url',
      'cannot be used: no callback secret is configured for this client (CALLBACK_SECRETS)',
    ),
    validation(
      'BadIdempotencyKey',
      'Idempotency-Key not printable ASCII',
      'Idempotency-Key',
      'must contain only printable ASCII characters; byte 4 is 0xC3',
    ),
  ],
  listErrors: [
    validation(
      'UnknownStatus',
      'Unknown status',
      'status',
      'must be one of: pending, sending, sent, failed, cancelled',
    ),
    validation('LimitOutOfRange', 'Limit out of range', 'limit', 'must not be greater than 100'),
    fieldError(
      'UnknownCursor',
      'Unknown cursor',
      400,
      'UNKNOWN_CURSOR',
      'cursor',
      'is not a next_cursor from an earlier page',
    ),
  ],
};

export const EXAMPLE_MESSAGE_ID = MESSAGE_ID;
