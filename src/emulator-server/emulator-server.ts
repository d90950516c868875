import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ApiValidationPipe } from '../common/api-validation.pipe';
import { HttpErrorFilter } from '../common/http-error.filter';
import { AppConfig } from '../config/app-config';
import { limitRouteBodies, traceRequests } from '../http-hooks';

/**
 * The HTTP side of the emulator server (main.ts and the e2e tests both call this). Unlike the API, it reads every
 * body as text and leaves it to each route: a body a messenger cannot read is answered in that messenger's
 * words (a Bad Request, a Graph error object, a status 3 badData), not with the API's 415 or 400.
 */
export function configureEmulatorServer(app: NestFastifyApplication): NestFastifyApplication {
  const config = app.get(AppConfig);
  const fastify = app.getHttpAdapter().getInstance();
  limitRouteBodies(app);
  fastify.removeAllContentTypeParsers();
  fastify.addContentTypeParser('*', { parseAs: 'string' }, (_request, body, done) => done(null, body));
  traceRequests(app);
  // The inbox's query, validated as the API validates it; errors elsewhere (an unknown path) in the API's shape.
  app.useGlobalPipes(new ApiValidationPipe());
  app.useGlobalFilters(new HttpErrorFilter({ bodyLimitBytes: config.API_BODY_LIMIT_BYTES }));
  return app;
}
