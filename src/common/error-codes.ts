/**
 * Every `code` an error answer can carry, with its status and what it means: the one list the error filter,
 * DomainError and the OpenAPI document (the ErrorCode enum of /docs-json) draw from. A client may switch on
 * these; adding one is a change to the API.
 */
export const ERROR_CODES = {
  VALIDATION_FAILED: {
    status: 400,
    meaning: 'A field, query parameter, path parameter or header breaks a rule; `errors` names each.',
  },
  MALFORMED_JSON: { status: 400, meaning: 'The body is not valid JSON.' },
  MALFORMED_REQUEST: { status: 400, meaning: 'The request is not valid HTTP, or its body cannot be read as sent.' },
  UNKNOWN_CURSOR: { status: 400, meaning: 'The cursor is not a next_cursor from an earlier page.' },
  UNAUTHENTICATED: {
    status: 401,
    meaning: 'No API key, a malformed Authorization header, or a key that is not configured.',
  },
  NOT_FOUND: { status: 404, meaning: 'No such route.' },
  MESSAGE_NOT_FOUND: { status: 404, meaning: "No message has this id (or it is another client's)." },
  REQUEST_TIMEOUT: { status: 408, meaning: 'The request did not arrive in full in time (HTTP_REQUEST_TIMEOUT_MS).' },
  MESSAGE_NOT_RETRYABLE: { status: 409, meaning: 'Only a failed message can be retried.' },
  MESSAGE_NOT_CANCELLABLE: { status: 409, meaning: 'Only a pending message can be cancelled.' },
  IDEMPOTENCY_KEY_IN_FLIGHT: { status: 409, meaning: 'A request with this Idempotency-Key is still running.' },
  PAYLOAD_TOO_LARGE: { status: 413, meaning: 'The body is larger than API_BODY_LIMIT_BYTES.' },
  URI_TOO_LONG: { status: 414, meaning: 'A path parameter is longer than the router takes.' },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, meaning: 'The body is not JSON, or not in UTF-8.' },
  UNSUPPORTED_CONTENT_ENCODING: {
    status: 415,
    meaning: 'The body is in a Content-Encoding the service does not decode.',
  },
  EXPECTATION_FAILED: { status: 417, meaning: 'An Expect header other than 100-continue.' },
  IDEMPOTENCY_KEY_REUSED: { status: 422, meaning: 'This Idempotency-Key was used with a different request.' },
  RATE_LIMITED: { status: 429, meaning: "Over the client's rate limit." },
  HEADERS_TOO_LARGE: { status: 431, meaning: 'The request line and headers are larger than the server takes.' },
  INTERNAL_ERROR: { status: 500, meaning: 'A fault of the service; the answer gives no details.' },
  DATABASE_UNAVAILABLE: { status: 503, meaning: 'PostgreSQL is unreachable or restarting.' },
  OVERLOADED: { status: 503, meaning: 'The service is shedding load.' },
  SERVICE_UNAVAILABLE: { status: 503, meaning: 'The server is shutting down.' },
} as const satisfies Record<string, { status: number; meaning: string }>;

export type ErrorCode = keyof typeof ERROR_CODES;

export const ERROR_CODE_NAMES = Object.keys(ERROR_CODES) as ErrorCode[];
