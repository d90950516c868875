import { ArgumentsHost, Catch, ExceptionFilter, HttpException, HttpStatus, Logger } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import type { ApiErrorDto } from './api-error.dto';
import { DomainError, DomainErrorCode } from './domain-error';
import { RequestValidationException } from './validation-errors';

const DOMAIN_STATUS: Record<DomainErrorCode, HttpStatus> = {
  [DomainErrorCode.MessageNotFound]: HttpStatus.NOT_FOUND,
  [DomainErrorCode.MessageNotRetryable]: HttpStatus.CONFLICT,
  [DomainErrorCode.UnknownCursor]: HttpStatus.BAD_REQUEST,
};

const MALFORMED_JSON_CODES = new Set(['FST_ERR_CTP_INVALID_JSON_BODY', 'FST_ERR_CTP_EMPTY_JSON_BODY']);

/** The one place where errors become HTTP answers, all in the ApiErrorDto shape; a 5xx never shows a stack. */
@Catch()
export class HttpErrorFilter implements ExceptionFilter {
  private readonly logger = new Logger(HttpErrorFilter.name);

  catch(exception: unknown, host: ArgumentsHost): void {
    const error = toApiError(exception);
    if (error.statusCode >= 500) {
      this.logger.error(exception instanceof Error ? (exception.stack ?? exception.message) : String(exception));
    }
    host.switchToHttp().getResponse<FastifyReply>().status(error.statusCode).send(error);
  }
}

export function toApiError(exception: unknown): ApiErrorDto {
  if (exception instanceof DomainError) {
    return {
      statusCode: DOMAIN_STATUS[exception.code],
      code: exception.code,
      message: exception.message,
      ...(exception.field && { errors: [{ field: exception.field, reason: exception.message }] }),
    };
  }
  if (exception instanceof RequestValidationException) {
    return { statusCode: 400, code: 'VALIDATION_FAILED', message: exception.message, errors: exception.fieldErrors };
  }
  if (exception instanceof HttpException) {
    const statusCode = exception.getStatus();
    // Fastify's own request errors (bad JSON, wrong content type, body too large) arrive wrapped, with
    // Fastify's error as the cause.
    const malformedJson = MALFORMED_JSON_CODES.has((exception.cause as { code?: string } | undefined)?.code ?? '');
    return {
      statusCode,
      code: malformedJson ? 'MALFORMED_JSON' : (HttpStatus[statusCode] ?? 'HTTP_ERROR'),
      message: exception.message,
    };
  }
  return { statusCode: 500, code: 'INTERNAL_ERROR', message: 'Internal server error' };
}
