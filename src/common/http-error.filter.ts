import { maxHeaderSize } from 'node:http';
import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { ApiErrorDto } from './api-error.dto';
import { DATABASE_RETRY_AFTER_SECONDS, isDatabaseUnavailable } from './database-unavailable';
import { DomainError, DomainErrorCode } from './domain-error';
import { ERROR_CODES, type ErrorCode } from './error-codes';
import { RequestRejectedException } from './request-rejected';
import { RequestValidationException } from './validation-errors';
import { errorMessage } from './error-message';

/** A 401 says which scheme would do (RFC 9110 requires the header on a 401). */
const DOMAIN_HEADERS: Partial<Record<DomainErrorCode, Record<string, string>>> = {
  [DomainErrorCode.Unauthenticated]: { 'WWW-Authenticate': 'Bearer realm="messenger-dispatch"' },
};

export const DATABASE_UNAVAILABLE = 'DATABASE_UNAVAILABLE';

/** How an error that fastify or Node's HTTP parser raised is answered: our code, its status if not theirs, what to say. */
interface EdgeError {
  readonly code: ErrorCode;
  readonly statusCode?: number;
  readonly message?: (options: HttpErrorOptions, cause: { message?: string; reason?: string }) => string | undefined;
}

/**
 * fastify's and Node's errors before any route, by their `code`. They reach toHttpError wrapped in an
 * HttpException, with the error as its cause: by Nest's adapter, or by the server's client-error handler.
 */
const EDGE_ERRORS: Record<string, EdgeError> = {
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'MALFORMED_JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'MALFORMED_JSON' },
  FST_ERR_CTP_BODY_TOO_LARGE: {
    code: 'PAYLOAD_TOO_LARGE',
    message: ({ bodyLimitBytes }) =>
      bodyLimitBytes === undefined ? undefined : `The request body is larger than the limit of ${bodyLimitBytes} bytes`,
  },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: { code: 'MALFORMED_REQUEST' },
  FST_ERR_BAD_URL: { code: 'MALFORMED_REQUEST' },
  FST_ERR_MAX_PARAM_LENGTH: { code: 'URI_TOO_LONG' },
  ERR_HTTP_REQUEST_TIMEOUT: {
    code: 'REQUEST_TIMEOUT',
    statusCode: HttpStatus.REQUEST_TIMEOUT,
    message: ({ requestTimeoutMs }) =>
      requestTimeoutMs === undefined ? undefined : `The request did not arrive in full within ${requestTimeoutMs} ms`,
  },
  HPE_HEADER_OVERFLOW: {
    code: 'HEADERS_TOO_LARGE',
    statusCode: 431,
    message: () => `The request line and headers are larger than the limit of ${maxHeaderSize} bytes`,
  },
  HPE_CHUNK_EXTENSIONS_OVERFLOW: { code: 'PAYLOAD_TOO_LARGE', statusCode: HttpStatus.PAYLOAD_TOO_LARGE },
};

/** Every other error of Node's HTTP parser (HPE_…): the bytes are not HTTP/1.1. */
const MALFORMED_HTTP: EdgeError = {
  code: 'MALFORMED_REQUEST',
  statusCode: HttpStatus.BAD_REQUEST,
  message: (_, { reason, message }) => `The request is not valid HTTP/1.1: ${reason ?? message}`,
};

function edgeError(code: unknown): EdgeError | undefined {
  if (typeof code !== 'string') return undefined;
  return Object.hasOwn(EDGE_ERRORS, code) ? EDGE_ERRORS[code] : code.startsWith('HPE_') ? MALFORMED_HTTP : undefined;
}

/**
 * The code of an HttpException that is not ours (Nest's router, Fastify's request parsing), by its status. Any
 * other status would be one the OpenAPI document does not declare: it is answered as the bug it is, a 500.
 */
const STATUS_CODES: Partial<Record<number, ErrorCode>> = {
  [HttpStatus.BAD_REQUEST]: 'MALFORMED_REQUEST',
  [HttpStatus.NOT_FOUND]: 'NOT_FOUND',
  [HttpStatus.REQUEST_TIMEOUT]: 'REQUEST_TIMEOUT',
  [HttpStatus.PAYLOAD_TOO_LARGE]: 'PAYLOAD_TOO_LARGE',
  [HttpStatus.URI_TOO_LONG]: 'URI_TOO_LONG',
  [HttpStatus.UNSUPPORTED_MEDIA_TYPE]: 'UNSUPPORTED_MEDIA_TYPE',
  [HttpStatus.EXPECTATION_FAILED]: 'EXPECTATION_FAILED',
  431: 'HEADERS_TOO_LARGE',
  [HttpStatus.SERVICE_UNAVAILABLE]: 'SERVICE_UNAVAILABLE',
};

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
      this.logger.warn(`database unavailable: ${errorMessage(exception)}`);
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
  /** HTTP_REQUEST_TIMEOUT_MS, named in a 408. */
  readonly requestTimeoutMs?: number;
}

export function toHttpError(exception: unknown, options: HttpErrorOptions = {}): HttpError {
  if (exception instanceof DomainError) {
    return {
      body: {
        statusCode: ERROR_CODES[exception.code].status,
        code: exception.code,
        message: exception.message,
        ...(exception.field && { errors: [{ field: exception.field, reason: exception.message }] }),
      },
      retryAfterSeconds: exception.retryAfterSeconds,
      headers: DOMAIN_HEADERS[exception.code],
    };
  }
  if (exception instanceof RequestValidationException) {
    return {
      body: { statusCode: 400, code: 'VALIDATION_FAILED', message: exception.message, errors: exception.fieldErrors },
    };
  }
  if (exception instanceof RequestRejectedException) {
    return { body: { statusCode: exception.getStatus(), code: exception.code, message: exception.message } };
  }
  if (exception instanceof HttpException) {
    const cause = exception.cause as { code?: unknown; message?: string; reason?: string } | undefined;
    const edge = edgeError(cause?.code);
    const statusCode = edge?.statusCode ?? exception.getStatus();
    const code = edge?.code ?? STATUS_CODES[statusCode];
    if (code)
      return { body: { statusCode, code, message: (cause && edge?.message?.(options, cause)) || exception.message } };
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
