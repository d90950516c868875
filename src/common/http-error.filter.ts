import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { ApiErrorDto } from './api-error.dto';
import { DATABASE_RETRY_AFTER_SECONDS, isDatabaseUnavailable } from './database-unavailable';
import { DomainError, DomainErrorCode } from './domain-error';
import { RequestValidationException } from './validation-errors';

const DOMAIN_STATUS: Record<DomainErrorCode, HttpStatus> = {
  [DomainErrorCode.MessageNotFound]: HttpStatus.NOT_FOUND,
  [DomainErrorCode.MessageNotRetryable]: HttpStatus.CONFLICT,
  [DomainErrorCode.MessageNotCancellable]: HttpStatus.CONFLICT,
  [DomainErrorCode.UnknownCursor]: HttpStatus.BAD_REQUEST,
  [DomainErrorCode.IdempotencyKeyInFlight]: HttpStatus.CONFLICT,
  [DomainErrorCode.IdempotencyKeyReused]: HttpStatus.UNPROCESSABLE_ENTITY,
};

export const DATABASE_UNAVAILABLE = 'DATABASE_UNAVAILABLE';

const MALFORMED_JSON_CODES = new Set(['FST_ERR_CTP_INVALID_JSON_BODY', 'FST_ERR_CTP_EMPTY_JSON_BODY']);

/** An error as the client gets it: the body, and when it is worth trying again. */
export interface HttpError {
  readonly body: ApiErrorDto;
  /** Sent as the Retry-After header (seconds). */
  readonly retryAfterSeconds?: number;
}

/** The one place where errors become HTTP answers, all in the ApiErrorDto shape; a 5xx never shows a stack. */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger(HttpErrorFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const { body, retryAfterSeconds } = toHttpError(exception);
    if (body.code === DATABASE_UNAVAILABLE) {
      // Expected while PostgreSQL restarts or fails over: one line per request, no stack.
      this.logger.warn(`database unavailable: ${exception instanceof Error ? exception.message : String(exception)}`);
    } else if (body.statusCode >= 500) {
      this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    }
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (retryAfterSeconds !== undefined) reply.header('Retry-After', String(retryAfterSeconds));
    reply.status(body.statusCode).send(body);
  }
}

export function toHttpError(exception: unknown): HttpError {
  if (exception instanceof DomainError) {
    return {
      body: {
        statusCode: DOMAIN_STATUS[exception.code],
        code: exception.code,
        message: exception.message,
        ...(exception.field && { errors: [{ field: exception.field, reason: exception.message }] }),
      },
      retryAfterSeconds: exception.retryAfterSeconds,
    };
  }
  if (exception instanceof RequestValidationException) {
    return { body: { statusCode: 400, code: 'VALIDATION_FAILED', message: exception.message, errors: exception.fieldErrors } };
  }
  if (exception instanceof HttpException) {
    const statusCode = exception.getStatus();
    // Fastify's own request errors (bad JSON, wrong content type, body too large) arrive wrapped, with
    // Fastify's error as the cause.
    const malformedJson = MALFORMED_JSON_CODES.has((exception.cause as { code?: string } | undefined)?.code ?? '');
    return {
      body: {
        statusCode,
        code: malformedJson ? 'MALFORMED_JSON' : (HttpStatus[statusCode] ?? 'HTTP_ERROR'),
        message: exception.message,
      },
    };
  }
  if (isDatabaseUnavailable(exception)) {
    return {
      body: {
        statusCode: 503,
        code: DATABASE_UNAVAILABLE,
        message: `The database is unavailable; try again in ${DATABASE_RETRY_AFTER_SECONDS} seconds`,
      },
      retryAfterSeconds: DATABASE_RETRY_AFTER_SECONDS,
    };
  }
  return { body: { statusCode: 500, code: 'INTERNAL_ERROR', message: 'Internal server error' } };
}
