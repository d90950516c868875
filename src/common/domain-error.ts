/** What went wrong, in the service's terms; HttpErrorFilter is the one place that turns a code into a status. */
export enum DomainErrorCode {
  MessageNotFound = 'MESSAGE_NOT_FOUND',
  MessageNotRetryable = 'MESSAGE_NOT_RETRYABLE',
  UnknownCursor = 'UNKNOWN_CURSOR',
}

export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
    /** The request field at fault, when there is one. */
    readonly field?: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}
