import type { HttpStatus } from '@nestjs/common';
import { HttpException } from '@nestjs/common';
import type { ErrorCode } from './error-codes';

/**
 * A request refused for how it was sent (its HTTP, its encoding) rather than what it asks, with the code
 * the client gets. Thrown by the hooks and parsers in front of the routes; toHttpError shapes it.
 */
export class RequestRejectedException extends HttpException {
  constructor(
    status: HttpStatus,
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message, status);
  }
}
