import { applyDecorators, RequestMethod } from '@nestjs/common';
import { METHOD_METADATA } from '@nestjs/common/constants';
import { DECORATORS } from '@nestjs/swagger';
import { ApiKeyAuth } from '../auth/api-key-auth.decorator';
import { apiErrorExample, ApiErrorResponse, retryAfterHeader } from './api-docs';
import { DATABASE_RETRY_AFTER_SECONDS } from './database-unavailable';

const MALFORMED_REQUEST = apiErrorExample('MalformedRequest', 'Not valid HTTP', 400, 'MALFORMED_REQUEST', 'The request is not valid HTTP');

const MALFORMED_JSON = apiErrorExample(
  'MalformedJson',
  'Malformed JSON',
  400,
  'MALFORMED_JSON',
  "Body is not valid JSON but content-type is set to 'application/json'",
);

const PAYLOAD_TOO_LARGE = apiErrorExample(
  'PayloadTooLarge',
  'Body too large',
  413,
  'PAYLOAD_TOO_LARGE',
  'The request body is larger than the limit of 1048576 bytes',
);

const UNSUPPORTED_MEDIA_TYPE = apiErrorExample('UnsupportedMediaType', 'Not JSON', 415, 'UNSUPPORTED_MEDIA_TYPE', 'Unsupported Media Type');

const UNSUPPORTED_CONTENT_ENCODING = apiErrorExample(
  'UnsupportedContentEncoding',
  'A compressed body',
  415,
  'UNSUPPORTED_CONTENT_ENCODING',
  'Content-Encoding gzip is not supported: send the body as is',
);

const REQUEST_TIMEOUT = apiErrorExample(
  'RequestTimeout',
  'A stalled request',
  408,
  'REQUEST_TIMEOUT',
  'The request did not arrive in time',
);

const HEADERS_TOO_LARGE = apiErrorExample(
  'HeadersTooLarge',
  'Headers too large',
  431,
  'HEADERS_TOO_LARGE',
  'The request headers are larger than the limit of 16384 bytes',
);

const INTERNAL_ERROR = apiErrorExample('InternalError', 'An unexpected error', 500, 'INTERNAL_ERROR', 'Internal server error');

const DATABASE_UNAVAILABLE = apiErrorExample(
  'DatabaseUnavailable',
  'PostgreSQL unreachable',
  503,
  'DATABASE_UNAVAILABLE',
  `The database is unavailable; try again in ${DATABASE_RETRY_AFTER_SECONDS} seconds`,
);

const OVERLOADED = apiErrorExample('Overloaded', 'Shedding load', 503, 'OVERLOADED', 'The service is overloaded; try again in 1 second');

/** Methods whose requests Fastify reads a body from (it ignores a GET's). */
const BODY_METHODS = new Set([RequestMethod.POST, RequestMethod.PUT, RequestMethod.PATCH, RequestMethod.DELETE]);

/**
 * Documents, on every operation of a controller, the answers that do not depend on the operation: those of the
 * global guards (ApiKeyAuth: 401, 429), of the HTTP server (408, 431, a malformed request's 400), of the body
 * parser on operations that take a body (413, 415, malformed JSON), and of the error filter (500, 503). An
 * operation's own 400 keeps its description and gains these examples. Every controller in the document carries
 * it: the OpenAPI spec (test/openapi.e2e-spec.ts) checks that each operation declares these statuses.
 */
export const ApiStandardResponses = (): ClassDecorator => (controller) => {
  applyDecorators(
    ApiKeyAuth(),
    ApiErrorResponse({
      status: 408,
      description: 'The request (its headers or its body) did not arrive in time; nothing was done.',
      examples: [REQUEST_TIMEOUT],
    }),
    ApiErrorResponse({
      status: 431,
      description: 'The request headers are larger than the server accepts; nothing was done.',
      examples: [HEADERS_TOO_LARGE],
    }),
    ApiErrorResponse({
      status: 500,
      description: "An unexpected error. The answer gives no details; the service logged it with the request's X-Request-Id.",
      examples: [INTERNAL_ERROR],
    }),
    ApiErrorResponse({
      status: 503,
      description:
        'The service cannot take the request now: PostgreSQL is unreachable or restarting, or the service is shedding ' +
        'load. Send it again after Retry-After; repeating a POST /messages is safe, as identical messages are deduplicated.',
      headers: retryAfterHeader(DATABASE_RETRY_AFTER_SECONDS),
      examples: [DATABASE_UNAVAILABLE, OVERLOADED],
    }),
  )(controller);

  const prototype = controller.prototype as Record<string, object>;
  for (const name of Object.getOwnPropertyNames(prototype)) {
    const handler = prototype[name];
    const method = typeof handler === 'function' ? (Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined) : undefined;
    if (method === undefined) continue;
    const takesBody = BODY_METHODS.has(method);
    const own = (Reflect.getMetadata(DECORATORS.API_RESPONSE, handler) as Record<string, unknown> | undefined)?.[400];
    const responses = [
      ApiErrorResponse({
        status: 400,
        // Added to the operation's own 400, whose description stands.
        description: own ? '' : 'The request is malformed, or a parameter breaks a rule; nothing was done.',
        examples: takesBody ? [MALFORMED_JSON, MALFORMED_REQUEST] : [MALFORMED_REQUEST],
      }),
    ];
    if (takesBody) {
      responses.push(
        ApiErrorResponse({
          status: 413,
          description: 'The body is larger than the limit (API_BODY_LIMIT_BYTES); nothing was done.',
          examples: [PAYLOAD_TOO_LARGE],
        }),
        ApiErrorResponse({
          status: 415,
          description: 'The body is not JSON in UTF-8 (Content-Type), or it is compressed (Content-Encoding); nothing was done.',
          examples: [UNSUPPORTED_MEDIA_TYPE, UNSUPPORTED_CONTENT_ENCODING],
        }),
      );
    }
    const descriptor = Object.getOwnPropertyDescriptor(prototype, name)!;
    applyDecorators(...responses)(prototype, name, descriptor);
  }
};
