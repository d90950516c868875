/**
 * Every `code` an error answer can carry, with what it means: the one list the error filter, DomainError and
 * the OpenAPI document (the ErrorCode enum of /docs-json) draw from. A client may switch on these; adding one
 * is a change to the API.
 */
export const ERROR_CODES = {
  VALIDATION_FAILED: 'A field, query parameter, path parameter or header breaks a rule; `errors` names each.',
  MALFORMED_JSON: 'The body is not valid JSON.',
  MALFORMED_REQUEST: 'The request is not valid HTTP, or cannot be read as sent.',
  UNAUTHENTICATED: 'No API key, a malformed Authorization header, or a key that is not configured.',
  NOT_FOUND: 'No such route.',
  MESSAGE_NOT_FOUND: "No message has this id (or it is another client's).",
  MESSAGE_NOT_RETRYABLE: 'Only a failed message can be retried.',
  MESSAGE_NOT_CANCELLABLE: 'Only a pending message can be cancelled.',
  IDEMPOTENCY_KEY_IN_FLIGHT: 'A request with this Idempotency-Key is still running.',
  IDEMPOTENCY_KEY_REUSED: 'This Idempotency-Key was used with a different request.',
  UNKNOWN_CURSOR: 'The cursor is not a next_cursor from an earlier page.',
  REQUEST_TIMEOUT: 'The request did not arrive in time.',
  PAYLOAD_TOO_LARGE: 'The body is larger than the limit.',
  UNSUPPORTED_MEDIA_TYPE: 'The body is not JSON in UTF-8 (Content-Type).',
  UNSUPPORTED_CONTENT_ENCODING: 'The body is compressed or encoded (Content-Encoding): send it as is.',
  RATE_LIMITED: "Over the client's rate limit.",
  HEADERS_TOO_LARGE: 'The request headers are larger than the limit.',
  INTERNAL_ERROR: 'An unexpected error; the service logged it.',
  DATABASE_UNAVAILABLE: 'PostgreSQL is unreachable or restarting.',
  OVERLOADED: 'The service is shedding load.',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

export const ERROR_CODE_NAMES = Object.keys(ERROR_CODES) as ErrorCode[];
