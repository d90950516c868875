import { HttpException, HttpStatus, NotFoundException } from '@nestjs/common';
import { DomainError, DomainErrorCode } from './domain-error';
import { ERROR_CODES } from './error-codes';
import { toHttpError } from './http-error.filter';
import { RequestValidationException } from './validation-errors';

const ERROR_STATUSES = Object.values(HttpStatus).filter(
  (status): status is number => typeof status === 'number' && status >= HttpStatus.BAD_REQUEST,
);

describe('toHttpError', () => {
  it('gives every error a code of the one list, with the status the list gives it, whatever raised it', () => {
    const errors: unknown[] = [
      ...ERROR_STATUSES.map((status) => new HttpException('raised by a framework', status)),
      ...Object.values(DomainErrorCode).map((code) => new DomainError(code, 'refused')),
      new RequestValidationException([{ field: 'body', reason: 'must not be blank' }]),
      new Error('Connection terminated unexpectedly'),
      new TypeError('a bug'),
      'not even an Error',
    ];
    const answers = errors.map((error) => toHttpError(error).body);
    const unlisted = answers.filter(
      ({ code, statusCode }) => !Object.hasOwn(ERROR_CODES, code) || ERROR_CODES[code].status !== statusCode,
    );
    expect(unlisted).toEqual([]);
  });

  it.each([
    [HttpStatus.BAD_REQUEST, 'MALFORMED_REQUEST'],
    [HttpStatus.NOT_FOUND, 'NOT_FOUND'],
    [HttpStatus.REQUEST_TIMEOUT, 'REQUEST_TIMEOUT'],
    [HttpStatus.PAYLOAD_TOO_LARGE, 'PAYLOAD_TOO_LARGE'],
    [HttpStatus.URI_TOO_LONG, 'URI_TOO_LONG'],
    [HttpStatus.UNSUPPORTED_MEDIA_TYPE, 'UNSUPPORTED_MEDIA_TYPE'],
    [HttpStatus.EXPECTATION_FAILED, 'EXPECTATION_FAILED'],
    [431, 'HEADERS_TOO_LARGE'],
    [HttpStatus.SERVICE_UNAVAILABLE, 'SERVICE_UNAVAILABLE'],
  ])('names a framework’s %i by its meaning, and keeps the status', (status, code) => {
    expect(toHttpError(new HttpException('raised by a framework', status)).body).toEqual({
      statusCode: status,
      code,
      message: 'raised by a framework',
    });
  });

  it('answers a framework’s status that the API does not declare as the bug it is: 500 INTERNAL_ERROR, no details', () => {
    for (const status of [HttpStatus.METHOD_NOT_ALLOWED, HttpStatus.FORBIDDEN, HttpStatus.BAD_GATEWAY]) {
      expect(toHttpError(new HttpException('raised by a framework', status)).body).toEqual({
        statusCode: 500,
        code: 'INTERNAL_ERROR',
        message: 'Internal server error',
      });
    }
  });

  it('answers an unknown route 404 NOT_FOUND', () => {
    expect(toHttpError(new NotFoundException('Cannot GET /nope')).body).toEqual({
      statusCode: 404,
      code: 'NOT_FOUND',
      message: 'Cannot GET /nope',
    });
  });
});
