import type { ErrorCode } from './error-codes';

/** What went wrong, in the service's terms; HttpErrorFilter is the one place that turns a code into a status. */
export const DomainErrorCode = {
  MessageNotFound: 'MESSAGE_NOT_FOUND',
  MessageNotRetryable: 'MESSAGE_NOT_RETRYABLE',
  MessageNotCancellable: 'MESSAGE_NOT_CANCELLABLE',
  UnknownCursor: 'UNKNOWN_CURSOR',
  IdempotencyKeyInFlight: 'IDEMPOTENCY_KEY_IN_FLIGHT',
  IdempotencyKeyReused: 'IDEMPOTENCY_KEY_REUSED',
  Unauthenticated: 'UNAUTHENTICATED',
  RateLimited: 'RATE_LIMITED',
  Overloaded: 'OVERLOADED',
} as const satisfies Record<string, ErrorCode>;

export type DomainErrorCode = (typeof DomainErrorCode)[keyof typeof DomainErrorCode];

export interface DomainErrorDetails {
  /** The request field (or header) at fault, when there is one. */
  readonly field?: string;
  /** The same request may succeed after this many seconds: answered as Retry-After. */
  readonly retryAfterSeconds?: number;
}

export class DomainError extends Error {
  readonly field?: string;
  readonly retryAfterSeconds?: number;

  constructor(
    readonly code: DomainErrorCode,
    message: string,
    details: DomainErrorDetails = {},
  ) {
    super(message);
    this.name = 'DomainError';
    this.field = details.field;
    this.retryAfterSeconds = details.retryAfterSeconds;
  }
}
