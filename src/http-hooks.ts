import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppConfig } from './config/app-config';
import { REQUEST_ID_HEADER, requestIdFrom } from './logging/logging';
import { HttpMetrics } from './metrics/http.metrics';

// The fastify hooks the API (http-app.ts) and the emulator server (emulator-server.ts) both need.

/**
 * Every route's own body limit (API_BODY_LIMIT_BYTES) rather than the server's: the server's is fixed when the
 * adapter is made, in main.ts and in every test. Call it first, so that it sees every route, /docs included.
 */
export function limitRouteBodies(app: NestFastifyApplication): void {
  const bodyLimit = app.get(AppConfig).API_BODY_LIMIT_BYTES;
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRoute', (route) => {
    route.bodyLimit ??= bodyLimit;
  });
}

/**
 * The caller's X-Request-Id when it is a sane one, else a UUID: on every log line of the request, and on every
 * answer, errors and 404s included. And every answer counted in the HTTP metrics.
 */
export function traceRequests(app: NestFastifyApplication): void {
  const fastify = app.getHttpAdapter().getInstance();
  fastify.setGenReqId((req) => requestIdFrom(req.headers[REQUEST_ID_HEADER]));
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header(REQUEST_ID_HEADER, request.id);
    done();
  });
  const httpMetrics = app.get(HttpMetrics);
  fastify.addHook('onResponse', (request, reply, done) => {
    httpMetrics.observe(request, reply);
    done();
  });
}
