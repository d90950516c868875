import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ApiValidationPipe } from '../common/api-validation.pipe';
import { HttpErrorFilter } from '../common/http-error.filter';
import { AppConfig } from '../config/app-config';
import { REQUEST_ID_HEADER, requestIdFrom } from '../logging/logging';
import { HttpMetrics } from '../metrics/http.metrics';

/**
 * The HTTP side of the emulator server (main.ts and the e2e tests both call this). Unlike the API, it reads every
 * body as text and leaves it to each route: a body a messenger cannot read is answered in that messenger's
 * words (a Bad Request, a Graph error object, a status 3 badData), not with the API's 415 or 400.
 */
export function configureEmulatorServer(app: NestFastifyApplication): NestFastifyApplication {
  const config = app.get(AppConfig);
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRoute', (route) => {
    route.bodyLimit ??= config.API_BODY_LIMIT_BYTES;
  });
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
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
  // The inbox's query, validated as the API validates it; errors elsewhere (an unknown path) in the API's shape.
  app.useGlobalPipes(new ApiValidationPipe());
  app.useGlobalFilters(new HttpErrorFilter({ bodyLimitBytes: config.API_BODY_LIMIT_BYTES }));
  return app;
}
