/** Example bodies for the OpenAPI document (/docs), one per answer the API gives. */

const pending = {
  id: '0b5c3f7e-8d2a-4c1e-9f5a-2a1d6b7c8e90',
  provider: 'telegram',
  recipient: '123456789',
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
  created_at: '2026-11-28T09:00:00.000Z',
  updated_at: '2026-11-28T09:00:00.000Z',
};

const sent = {
  ...pending,
  status: 'sent',
  next_attempt_at: null,
  retries_count: 1,
  attempts: 2,
  last_error: 'Bad Gateway',
  last_error_code: '502',
  provider_message_id: '52817',
  sent_at: '2026-12-01T06:00:01.412Z',
  updated_at: '2026-12-01T06:00:01.412Z',
};

const validation = (field: string, reason: string) => ({
  statusCode: 400,
  code: 'VALIDATION_FAILED',
  message: `${field}: ${reason}`,
  errors: [{ field, reason }],
});

const example = (summary: string, value: unknown) => ({ summary, value });

const failed = {
  ...pending,
  status: 'failed',
  next_attempt_at: null,
  attempts: 1,
  last_error: 'Forbidden: bot was blocked by the user',
  last_error_code: '403',
  updated_at: '2026-12-01T06:00:00.310Z',
};

const cancelled = {
  ...pending,
  status: 'cancelled',
  next_attempt_at: null,
  updated_at: '2026-11-28T09:05:00.000Z',
};

/** A message as POST /messages answers it: without the body, which the caller sent. */
const entry = ({ body: _body, ...fields }: { body: string } & Record<string, unknown>, duplicate: boolean) => ({ ...fields, duplicate });

export const API_EXAMPLES = {
  accepted: {
    messages: [
      entry(pending, false),
      entry({ ...pending, id: '7d1e2f3a-4b5c-4d6e-8f70-8192a3b4c5d6', provider: 'whatsapp', recipient: '+4915112345678' }, false),
    ],
  },
  allDuplicates: { messages: [entry(sent, true)] },
  sent,
  page: { items: [sent], next_cursor: '0b5c3f7e-8d2a-4c1e-9f5a-2a1d6b7c8e90' },
  notFound: {
    statusCode: 404,
    code: 'MESSAGE_NOT_FOUND',
    message: 'No message has id 0b5c3f7e-8d2a-4c1e-9f5a-2a1d6b7c8e90',
    errors: [{ field: 'id', reason: 'No message has id 0b5c3f7e-8d2a-4c1e-9f5a-2a1d6b7c8e90' }],
  },
  badId: validation('id', 'must be a UUID'),
  attempts: {
    items: [
      { attempt: 1, started_at: '2026-12-01T06:00:00.102Z', latency_ms: 311, outcome: 'retry', code: '502', description: 'Bad Gateway', provider_message_id: null },
      { attempt: 2, started_at: '2026-12-01T06:00:01.398Z', latency_ms: 14, outcome: 'sent', code: null, description: null, provider_message_id: '52817' },
    ],
  },
  requeued: { ...failed, status: 'pending', next_attempt_at: '2026-12-01T07:30:00.000Z', updated_at: '2026-12-01T07:30:00.000Z' },
  notRetryable: {
    statusCode: 409,
    code: 'MESSAGE_NOT_RETRYABLE',
    message: 'Only a failed message can be retried; this one is sent',
    errors: [{ field: 'id', reason: 'Only a failed message can be retried; this one is sent' }],
  },
  cancelled,
  notCancellable: {
    statusCode: 409,
    code: 'MESSAGE_NOT_CANCELLABLE',
    message: 'Only a pending message can be cancelled; this one is sending',
    errors: [{ field: 'id', reason: 'Only a pending message can be cancelled; this one is sending' }],
  },
  idempotencyKeyInFlight: {
    statusCode: 409,
    code: 'IDEMPOTENCY_KEY_IN_FLIGHT',
    message: 'A request with this Idempotency-Key is still in progress; try again in 1 s',
    errors: [{ field: 'Idempotency-Key', reason: 'A request with this Idempotency-Key is still in progress; try again in 1 s' }],
  },
  idempotencyKeyReused: {
    statusCode: 422,
    code: 'IDEMPOTENCY_KEY_REUSED',
    message: 'This Idempotency-Key was already used with a different request; use a new key for a new request',
    errors: [
      {
        field: 'Idempotency-Key',
        reason: 'This Idempotency-Key was already used with a different request; use a new key for a new request',
      },
    ],
  },
  databaseUnavailable: {
    statusCode: 503,
    code: 'DATABASE_UNAVAILABLE',
    message: 'The database is unavailable; try again in 5 seconds',
  },
  overloaded: {
    statusCode: 503,
    code: 'OVERLOADED',
    message: 'The service is at capacity; try again in 1 s',
  },
  createErrors: {
    blankBody: example('Blank body', validation('body', 'must not be blank')),
    bodyTooLong: example(
      'Body too long for a messenger',
      validation('body', 'is 5000 characters, longer than telegram allows 4096'),
    ),
    badRecipient: example(
      'Recipient in the wrong form',
      validation(
        'recipients[0].recipient',
        'is not a valid whatsapp recipient: expected an E.164 phone number: "+" and 8-15 digits, the first not 0',
      ),
    ),
    unknownProvider: example(
      'Unknown messenger',
      validation('recipients[0].provider', 'must be one of: telegram, whatsapp, viber'),
    ),
    noRecipients: example('No recipients', validation('recipients', 'must list at least one recipient')),
    repeatedRecipient: example(
      'Same recipient twice',
      validation('recipients', 'lists telegram:123456789 more than once'),
    ),
    badSendAt: example(
      'send_at without a time zone',
      validation('send_at', 'must be an ISO 8601 date and time with a time zone, e.g. 2026-12-01T09:00:00+03:00'),
    ),
    unknownField: example('Unknown field', validation('priority', 'property priority should not exist')),
    badIdempotencyKey: example(
      'Idempotency-Key not printable ASCII',
      validation('Idempotency-Key', 'must contain only printable ASCII characters; byte 4 is 0xC3'),
    ),
    malformedJson: example('Malformed JSON', {
      statusCode: 400,
      code: 'MALFORMED_JSON',
      message: "Body is not valid JSON but content-type is set to 'application/json'",
    }),
  },
  listErrors: {
    badStatus: example(
      'Unknown status',
      validation('status', 'must be one of: pending, sending, sent, failed, cancelled'),
    ),
    badLimit: example('Limit out of range', validation('limit', 'must not be greater than 100')),
    unknownCursor: example('Unknown cursor', {
      statusCode: 400,
      code: 'UNKNOWN_CURSOR',
      message: 'is not a next_cursor from an earlier page',
      errors: [{ field: 'cursor', reason: 'is not a next_cursor from an earlier page' }],
    }),
  },
};
