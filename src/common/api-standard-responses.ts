import { applyDecorators, RequestMethod } from '@nestjs/common';
import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { DECORATORS } from '@nestjs/swagger';
import { ApiKeyAuth } from '../auth/api-key-auth.decorator';
import { apiErrorExample, ApiErrorResponse, retryAfterHeader } from './api-docs';
import { DATABASE_RETRY_AFTER_SECONDS } from './database-unavailable';

// The messages are the service's own, with its default limits.
const MALFORMED_REQUEST = apiErrorExample(
  'MalformedRequest',
  'Not valid HTTP',
  400,
  'MALFORMED_REQUEST',
  'The request is not valid HTTP/1.1: Invalid header value char',
);
const MALFORMED_JSON = apiErrorExample(
  'MalformedJson',
  'Malformed JSON',
  400,
  'MALFORMED_JSON',
  "Body is not valid JSON but content-type is set to 'application/json'",
);
const REQUEST_TIMEOUT = apiErrorExample(
  'RequestTimeout',
  'A stalled request',
  408,
  'REQUEST_TIMEOUT',
  'The request did not arrive in full within 30000 ms',
);
const PAYLOAD_TOO_LARGE = apiErrorExample(
  'PayloadTooLarge',
  'Body too large',
  413,
  'PAYLOAD_TOO_LARGE',
  'The request body is larger than the limit of 1048576 bytes',
);
const URI_TOO_LONG = apiErrorExample(
  'UriTooLong',
  'A path parameter too long',
  414,
  'URI_TOO_LONG',
  `'${'a'.repeat(120)}' is exceeding the max param length`,
);
const UNSUPPORTED_MEDIA_TYPE = apiErrorExample(
  'UnsupportedMediaType',
  'Not JSON',
  415,
  'UNSUPPORTED_MEDIA_TYPE',
  'Unsupported Media Type',
);
const UNSUPPORTED_CHARSET = apiErrorExample(
  'UnsupportedCharset',
  'JSON not in UTF-8',
  415,
  'UNSUPPORTED_MEDIA_TYPE',
  'charset=latin1 is not supported: JSON bodies are UTF-8 (charset=utf-8, or no charset)',
);
const UNSUPPORTED_CONTENT_ENCODING = apiErrorExample(
  'UnsupportedContentEncoding',
  'A Content-Encoding not decoded',
  415,
  'UNSUPPORTED_CONTENT_ENCODING',
  'Content-Encoding "compress" is not supported: send the body as it is, or in one of gzip, x-gzip, deflate, br',
);
const EXPECTATION_FAILED = apiErrorExample(
  'ExpectationFailed',
  'An Expect other than 100-continue',
  417,
  'EXPECTATION_FAILED',
  'Expect: 200-ok is not supported (only 100-continue is)',
);
const HEADERS_TOO_LARGE = apiErrorExample(
  'HeadersTooLarge',
  'Headers too large',
  431,
  'HEADERS_TOO_LARGE',
  'The request line and headers are larger than the limit of 16384 bytes',
);
const INTERNAL_ERROR = apiErrorExample(
  'InternalError',
  'A fault of the service',
  500,
  'INTERNAL_ERROR',
  'Internal server error',
);
const DATABASE_UNAVAILABLE = apiErrorExample(
  'DatabaseUnavailable',
  'PostgreSQL unreachable',
  503,
  'DATABASE_UNAVAILABLE',
  `The database is unavailable; try again in ${DATABASE_RETRY_AFTER_SECONDS} seconds`,
);
const OVERLOADED = apiErrorExample(
  'Overloaded',
  'Shedding load',
  503,
  'OVERLOADED',
  'The service is at capacity; try again in 1 s',
);
const SHUTTING_DOWN = apiErrorExample(
  'ShuttingDown',
  'Shutting down',
  503,
  'SERVICE_UNAVAILABLE',
  'The server is shutting down: send the request again',
);

/** Methods whose requests Fastify reads a body from (it ignores a GET's). */
const BODY_METHODS = new Set([RequestMethod.POST, RequestMethod.PUT, RequestMethod.PATCH, RequestMethod.DELETE]);

/**
 * Documents, on every operation of a controller, the answers that do not depend on what the operation does:
 * those of the global guards (ApiKeyAuth: 401, 429), of the HTTP server and the router (a malformed request's
 * 400, 408, 414 where the path has a parameter, 417, 431), of the body parser where the operation takes a body
 * (malformed JSON, 413, 415), and of the error filter (500, 503). An operation's own 400 keeps its description
 * and gains these examples. test/openapi.e2e-spec.ts checks that every operation in the document has them.
 */
export const ApiStandardResponses = (): ClassDecorator => (controller) => {
  applyDecorators(
    ApiKeyAuth(),
    ApiErrorResponse({
      status: 408,
      description: 'The request did not arrive in full within HTTP_REQUEST_TIMEOUT_MS; nothing was done.',
      examples: [REQUEST_TIMEOUT],
    }),
    ApiErrorResponse({
      status: 417,
      description: 'An Expect header other than 100-continue; nothing was done.',
      examples: [EXPECTATION_FAILED],
    }),
    ApiErrorResponse({
      status: 431,
      description: 'The request line and headers are larger than the server takes; nothing was done.',
      examples: [HEADERS_TOO_LARGE],
    }),
    ApiErrorResponse({
      status: 500,
      description:
        "A fault of the service. The answer gives no details; the service logged it with the request's X-Request-Id.",
      examples: [INTERNAL_ERROR],
    }),
    ApiErrorResponse({
      status: 503,
      description:
        'The service cannot take the request now: PostgreSQL is unreachable or restarting, the service is shedding load, ' +
        'or it is shutting down. Send it again, after Retry-After when there is one; repeating a POST /messages is safe, ' +
        'as identical messages are deduplicated.',
      headers: retryAfterHeader(DATABASE_RETRY_AFTER_SECONDS),
      examples: [DATABASE_UNAVAILABLE, OVERLOADED, SHUTTING_DOWN],
    }),
  )(controller);

  const hasPathParameter = (target: object) => String(Reflect.getMetadata(PATH_METADATA, target) ?? '').includes(':');
  const prototype = controller.prototype as Record<string, object>;
  for (const name of Object.getOwnPropertyNames(prototype)) {
    const handler = prototype[name];
    const method =
      typeof handler === 'function'
        ? (Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined)
        : undefined;
    if (method === undefined) continue;
    const takesBody = BODY_METHODS.has(method);
    const own400 = (
      Reflect.getMetadata(DECORATORS.API_RESPONSE, handler) as Record<string, unknown> | undefined
    )?.[400];
    const responses = [
      ApiErrorResponse({
        status: 400,
        // An empty description keeps the operation's own.
        description: own400 ? '' : 'The request is malformed, or a parameter breaks a rule; nothing was done.',
        examples: takesBody ? [MALFORMED_JSON, MALFORMED_REQUEST] : [MALFORMED_REQUEST],
      }),
    ];
    if (hasPathParameter(controller) || hasPathParameter(handler)) {
      responses.push(
        ApiErrorResponse({
          status: 414,
          description: 'A path parameter is longer than the router takes; nothing was done.',
          examples: [URI_TOO_LONG],
        }),
      );
    }
    if (takesBody) {
      responses.push(
        ApiErrorResponse({
          status: 413,
          description: 'The body is larger than API_BODY_LIMIT_BYTES; nothing was done.',
          examples: [PAYLOAD_TOO_LARGE],
        }),
        ApiErrorResponse({
          status: 415,
          description:
            'The body is not JSON in UTF-8, or is in a Content-Encoding the service does not decode; nothing was done.',
          examples: [UNSUPPORTED_MEDIA_TYPE, UNSUPPORTED_CHARSET, UNSUPPORTED_CONTENT_ENCODING],
        }),
      );
    }
    applyDecorators(...responses)(prototype, name, Object.getOwnPropertyDescriptor(prototype, name));
  }
};
