import { STATUS_CODES, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { HttpException, HttpStatus, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import { FastifyAdapter } from '@nestjs/platform-fastify';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { HttpError, HttpErrorOptions } from './common/http-error.filter';
import { toHttpError } from './common/http-error.filter';
import { RequestRejectedException } from './common/request-rejected';
import { parseQueryString } from './common/unicode';
import type { AppConfig } from './config/app-config';
import { REQUEST_ID_HEADER } from './logging/logging';
import { secrets } from './logging/secret-scrubber';

/**
 * The Fastify server under Nest, with the options that must be fixed when the server is made (timeouts,
 * client-error answers). main.ts, the e2e tests and the OpenAPI lint all build the server here, so the
 * tests exercise the server that production runs.
 *
 * Whatever Node or fastify answer on their own (a malformed request, headers too large, a stalled client,
 * a bad URL) is answered here in the API's error shape, through toHttpError.
 */
export function createHttpAdapter(config: AppConfig): FastifyAdapter {
  const errors: HttpErrorOptions = {
    bodyLimitBytes: config.API_BODY_LIMIT_BYTES,
    requestTimeoutMs: config.HTTP_REQUEST_TIMEOUT_MS,
  };
  // Node looks for stalled requests only every connectionsCheckingInterval (30 s by default), so a timeout
  // of T cut a request between T and T + interval. Checking often, and one interval early, cuts within T.
  const checkEveryMs = Math.min(1_000, Math.ceil(config.HTTP_REQUEST_TIMEOUT_MS / 10));
  const cutAfterMs = config.HTTP_REQUEST_TIMEOUT_MS - checkEveryMs;
  const adapter: FastifyAdapter = new FastifyAdapter({
    // Both: Node reads the first when it makes the server, fastify sets the second on it afterwards.
    http: {
      requestTimeout: cutAfterMs,
      headersTimeout: cutAfterMs,
      connectionsCheckingInterval: checkEveryMs,
      requireHostHeader: false,
    },
    requestTimeout: cutAfterMs,
    clientErrorHandler: (error: NodeJS.ErrnoException, socket: Socket) => answerClientError(error, socket, errors),
    // A URL that does not percent-decode, a path parameter too long: the router answers before any hook.
    frameworkErrors: (error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      reply.header(REQUEST_ID_HEADER, request.id);
      const { body } = toHttpError(adapter.mapException(error), errors);
      void reply.status(body.statusCode).send(body);
    },
    routerOptions: { querystringParser: parseQueryString },
    // Its own 503 while closing has another shape; the onRequest hook below answers in ours.
    return503OnClosing: false,
  });
  const fastify = adapter.getInstance();

  let closing = false;
  fastify.addHook('preClose', (done) => {
    closing = true;
    done();
  });
  fastify.addHook('onRequest', (request, _reply, done) => {
    if (closing) return done(new ServiceUnavailableException('The server is shutting down: send the request again'));
    // RFC 9112 3.2; Node's own check (requireHostHeader, off above) answers with an empty body.
    if (request.raw.httpVersion === '1.1' && request.headers.host === undefined) {
      return done(
        new RequestRejectedException(
          HttpStatus.BAD_REQUEST,
          'MALFORMED_REQUEST',
          'An HTTP/1.1 request must have a Host header',
        ),
      );
    }
    done();
  });

  // Node answers these itself, with an empty body, unless someone listens.
  fastify.server.on('checkExpectation', (request, response: ServerResponse) => {
    const refusal = new HttpException(
      `Expect: ${request.headers.expect} is not supported (only 100-continue is)`,
      HttpStatus.EXPECTATION_FAILED,
    );
    const { body } = toHttpError(refusal, errors);
    const json = secrets.scrub(JSON.stringify(body));
    response
      .writeHead(body.statusCode, {
        'Content-Type': JSON_CONTENT_TYPE,
        'Content-Length': Buffer.byteLength(json),
        Connection: 'close',
      })
      .end(json);
  });
  // CONNECT asks for a tunnel, which this server does not make; Node would hang up without a word.
  fastify.server.on('connect', (request, socket: Socket) => {
    socket.end(rawResponse(toHttpError(new NotFoundException(`Cannot CONNECT ${request.url}`), errors)));
  });
  return adapter;
}

const JSON_CONTENT_TYPE = 'application/json; charset=utf-8';

/** Node's parser refused the bytes, or the request did not arrive in time: answer, then close the connection. */
function answerClientError(error: NodeJS.ErrnoException, socket: Socket, options: HttpErrorOptions): void {
  // A connection reset has no one left to answer.
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  // Not in the middle of another answer on this connection: its bytes and ours would mix.
  const answering = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage?.headersSent === true;
  if (socket.writable && !answering) {
    socket.write(
      rawResponse(toHttpError(new HttpException(error.message, HttpStatus.BAD_REQUEST, { cause: error }), options)),
    );
  }
  socket.destroy(error);
}

/** A whole HTTP/1.1 response, for a socket that has no request object to answer through. */
function rawResponse({ body }: HttpError): string {
  // Written past the onSend hook that keeps configured secrets out of error answers (http-app.ts).
  const json = secrets.scrub(JSON.stringify(body));
  return (
    `HTTP/1.1 ${body.statusCode} ${STATUS_CODES[body.statusCode]}\r\n` +
    `Content-Type: ${JSON_CONTENT_TYPE}\r\nContent-Length: ${Buffer.byteLength(json)}\r\nConnection: close\r\n\r\n${json}`
  );
}
