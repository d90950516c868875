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
  [DomainErrorCode.Unauthenticated]: HttpStatus.UNAUTHORIZED,
  [DomainErrorCode.RateLimited]: HttpStatus.TOO_MANY_REQUESTS,
  [DomainErrorCode.Overloaded]: HttpStatus.SERVICE_UNAVAILABLE,
};

/** A 401 says which scheme would do (RFC 9110 requires the header on a 401). */
const DOMAIN_HEADERS: Partial<Record<DomainErrorCode, Record<string, string>>> = {
  [DomainErrorCode.Unauthenticated]: { 'WWW-Authenticate': 'Bearer realm="messenger-dispatch"' },
};

export const DATABASE_UNAVAILABLE = 'DATABASE_UNAVAILABLE';

const BODY_TOO_LARGE = 'FST_ERR_CTP_BODY_TOO_LARGE';
const MALFORMED_JSON_CODES = new Set(['FST_ERR_CTP_INVALID_JSON_BODY', 'FST_ERR_CTP_EMPTY_JSON_BODY']);

/** An error as the client gets it: the body, and when it is worth trying again. */
export interface HttpError {
  readonly body: ApiErrorDto;
  /** Sent as the Retry-After header (seconds). */
  readonly retryAfterSeconds?: number;
  readonly headers?: Record<string, string>;
}

/** The one place where errors become HTTP answers, all in the ApiErrorDto shape; a 5xx never shows a stack. */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger(HttpErrorFilter.name);

  constructor(private readonly options: HttpErrorOptions = {}) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const { body, retryAfterSeconds, headers } = toHttpError(exception, this.options);
    if (body.code === DATABASE_UNAVAILABLE) {
      // Expected while PostgreSQL restarts or fails over: one line per request, no stack.
      this.logger.warn(`database unavailable: ${exception instanceof Error ? exception.message : String(exception)}`);
    } else if (body.statusCode >= 500 && body.code !== DomainErrorCode.Overloaded) {
      // Not OVERLOADED: shedding load is expected, and a stack each would cost most when there is least to spare.
      this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    }
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    if (retryAfterSeconds !== undefined) reply.header('Retry-After', String(retryAfterSeconds));
    for (const [name, value] of Object.entries(headers ?? {})) reply.header(name, value);
    reply.status(body.statusCode).send(body);
  }
}

/** What the filter needs to know to explain some errors. */
export interface HttpErrorOptions {
  /** The request body limit (API_BODY_LIMIT_BYTES), named in a 413. */
  readonly bodyLimitBytes?: number;
}

export function toHttpError(exception: unknown, options: HttpErrorOptions = {}): HttpError {
  if (exception instanceof DomainError) {
    return {
      body: {
        statusCode: DOMAIN_STATUS[exception.code],
        code: exception.code,
        message: exception.message,
        ...(exception.field && { errors: [{ field: exception.field, reason: exception.message }] }),
      },
      retryAfterSeconds: exception.retryAfterSeconds,
      headers: DOMAIN_HEADERS[exception.code],
    };
  }
  if (exception instanceof RequestValidationException) {
    return { body: { statusCode: 400, code: 'VALIDATION_FAILED', message: exception.message, errors: exception.fieldErrors } };
  }
  if (exception instanceof HttpException) {
    const statusCode = exception.getStatus();
    // Fastify's own request errors (bad JSON, wrong content type, body too large) arrive wrapped, with
    // Fastify's error as the cause.
    const cause = (exception.cause as { code?: string } | undefined)?.code ?? '';
    const malformedJson = MALFORMED_JSON_CODES.has(cause);
    if (cause === BODY_TOO_LARGE && options.bodyLimitBytes !== undefined) {
      return {
        body: {
          statusCode,
          code: 'PAYLOAD_TOO_LARGE',
          message: `The request body is larger than the limit of ${options.bodyLimitBytes} bytes`,
        },
      };
    }
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
