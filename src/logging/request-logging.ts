import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { PinoLogger } from 'nestjs-pino';
import type { Logger } from 'pino';
import { isUnloggedPath, requestLogLevel } from './logging';

const LOG = Symbol('requestLog');
const REPLY = Symbol('requestReply');
type LoggedRequest = FastifyRequest & { [LOG]: Logger | null; [REPLY]: FastifyReply | null };

/** What an aborted request's line says of the answer, as pino-http has it: no status, none was sent. */
const UNANSWERED = {};

/**
 * The API's request logging, the line pino-http writes with loggingParams (the same fields, levels and
 * redaction, the same request context for every line logged meanwhile), on fastify's own hooks: cheaper per
 * request than pino-http as Nest middleware (docs/performance.md). `logs` is a PinoLogger of the app's
 * (LoggerModule) params, so that Nest's loggers see the context.
 */
export function logRequests(fastify: FastifyInstance, logs: PinoLogger): void {
  fastify.decorateRequest(LOG, null);
  fastify.decorateRequest(REPLY, null);
  // Only requests that get this far are logged, as under the middleware: one refused by an earlier hook (a 503
  // while closing, no Host header) never was.
  fastify.addHook('onRequest', (request, reply, done) => {
    logs.runInContext(
      () => {
        (request as LoggedRequest)[LOG] = logs.logger;
        (request as LoggedRequest)[REPLY] = reply;
        done();
      },
      { bindings: { reqId: request.id } },
    );
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const log = (request as LoggedRequest)[LOG];
    if (log && !isUnloggedPath(request.url)) {
      const res = reply.raw;
      const failed = res.statusCode >= 500;
      const completed = !request.raw.readableAborted && res.writableEnded;
      log[requestLogLevel(res.statusCode)](
        { req: loggedRequest(request), res, responseTime: Math.round(reply.elapsedTime) },
        failed ? 'request errored' : completed ? 'request completed' : 'request aborted',
      );
    }
    (request as LoggedRequest)[LOG] = null;
    done();
  });
  // The client went away before the answer: onResponse never comes.
  fastify.addHook('onRequestAbort', (request, done) => {
    const { [LOG]: log, [REPLY]: reply } = request as LoggedRequest;
    if (log && reply && !isUnloggedPath(request.url)) {
      log.info(
        { req: loggedRequest(request), res: UNANSWERED, responseTime: Math.round(reply.elapsedTime) },
        'request aborted',
      );
    }
    (request as LoggedRequest)[LOG] = null;
    done();
  });
}

/** What pino-std-serializers reads of a request (then loggingParams' serializer redacts it), as the raw one had it. */
function loggedRequest(request: FastifyRequest) {
  return {
    id: request.id,
    method: request.method,
    url: request.url,
    query: request.query,
    headers: request.headers,
    socket: request.raw.socket,
  };
}
