import { ValidationPipe } from '@nestjs/common';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { HttpErrorFilter } from './common/http-error.filter';
import { rejectDeeplyNestedJson } from './common/json-depth';
import { RequestValidationException, toFieldErrors } from './common/validation-errors';
import { REQUEST_ID_HEADER, requestIdFrom } from './logging/logging';
import { HttpMetrics } from './metrics/http.metrics';
import { testRecipientsMarkdown } from './providers/test-recipients';

/**
 * Options for NestFactory.create / createNestApplication. The API speaks JSON only: Nest's parsers
 * (JSON and url-encoded forms) stay off, and Fastify's own JSON parser, which refuses __proto__ keys,
 * does the work; any other content type is answered 415.
 */
export const HTTP_APP_OPTIONS = { bodyParser: false } as const;

const API_DESCRIPTION = `Queue a text for recipients on Telegram, WhatsApp and Viber, now or at send_at. Each message is
stored in PostgreSQL, deduplicated per messenger + recipient + body, and delivered by a scheduler with
retries and leases. Errors always have the ApiError shape.

**How a messenger's answer counts**: accepted → \`sent\`; "slow down" (Telegram 429, WhatsApp 130429 /
131056 / 131048 / 4 / 80007, Viber 12) → retried when the messenger allows, *costing no retry*; a
transient error (5xx, WhatsApp 1 / 2 / 131000 / 131016, timeouts) → retried with backoff, at most
MAX_RETRIES times; a permanent one (Telegram 400 / 403, WhatsApp 131026 / 131047 / 100 / 131008 / 131009,
Viber 3 / 4 / 5 / 6 / 11 …) → \`failed\` at once. \`last_error_code\` and each attempt's \`code\` carry the
messenger's own code.

**Test recipients** (while the messengers are emulated) behave the same way every time:

${testRecipientsMarkdown()}`;

/** Everything the HTTP side needs besides the modules; main.ts and the e2e tests both call this. */
export function configureHttpApp(app: NestFastifyApplication): NestFastifyApplication {
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      // One reason per field: "must be a string" says it all, without "must not be blank" after it.
      stopAtFirstError: true,
      exceptionFactory: (errors) => new RequestValidationException(toFieldErrors(errors)),
    }),
  );
  app.useGlobalFilters(new HttpErrorFilter());
  const fastify = app.getHttpAdapter().getInstance();
  fastify.removeContentTypeParser('text/plain');
  // Before Nest's pipes copy the body recursively: a 5,000-level document would overflow their stack.
  fastify.addHook('preValidation', rejectDeeplyNestedJson());
  // The caller's X-Request-Id when it is a sane one, else a UUID: on every log line of the request, and on
  // every answer, errors and 404s included.
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

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Messenger dispatch')
      .setDescription(API_DESCRIPTION)
      .setVersion('1.0')
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  return app;
}
