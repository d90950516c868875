import rateLimit from '@fastify/rate-limit';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { type Params, PARAMS_PROVIDER_TOKEN, PinoLogger } from 'nestjs-pino';
import { API_KEY_SCHEME, documentAccess } from './auth/api-key-auth.decorator';
import { addExampleComponents } from './common/api-docs';
import { ApiValidationPipe } from './common/api-validation.pipe';
import { decodeContentEncoding } from './common/content-encoding';
import { admissionControl } from './common/admission';
import { HttpErrorFilter } from './common/http-error.filter';
import { rejectIllFormedText, useUtf8JsonParser } from './common/json-body';
import { AppConfig } from './config/app-config';
import { rejectOversizedJson } from './common/json-depth';
import { securityHeaders } from './common/security-headers';
import { IDEMPOTENCY_KEY_HEADER, IDEMPOTENCY_REPLAY_HEADER } from './idempotency/idempotency-key.decorator';
import { limitRouteBodies, traceRequests } from './http-hooks';
import { REQUEST_ID_HEADER } from './logging/logging';
import { logRequests } from './logging/request-logging';
import { secrets } from './logging/secret-scrubber';
import { MAX_RECIPIENTS } from './messages/dto/create-message.dto';
import { answerCountsMarkdown, MESSENGERS_IN_PROSE, testRecipientsMarkdown } from './providers/messenger-docs';

/**
 * Options for NestFactory.create / createNestApplication. The API speaks JSON only: Nest's parsers
 * (JSON and url-encoded forms) stay off, and our UTF-8 JSON parser (fastify's, which refuses __proto__
 * keys, on the bytes as sent: see useUtf8JsonParser) does the work; any other content type is answered 415.
 */
export const HTTP_APP_OPTIONS = { bodyParser: false } as const;

const apiDescription = (config: AppConfig): string =>
  `Queue a text for recipients on ${MESSENGERS_IN_PROSE}, now or at send_at. Each message is
stored in PostgreSQL, deduplicated per client + messenger + recipient + body, and delivered by a scheduler with
retries and leases. Errors always have the ApiError shape.

${authentication(config)}

${answerCountsMarkdown()}

**Test recipients** (while the messengers are emulated) behave the same way every time:

${testRecipientsMarkdown()}`;

function authentication(config: AppConfig): string {
  const rateLimit = config.rateLimit ? "Over the client's rate limit, the answer is 429 with Retry-After.\n" : '';
  if (config.apiKeys.length === 0) {
    return `**Authentication**: none. This instance runs without API_KEYS (open mode): every request acts as the
client "default", with or without an Authorization header.
${rateLimit}`.trimEnd();
  }
  return `**Authentication**: every operation needs an API key, sent as \`Authorization: Bearer <key>\` (the
Authorize button below). Without a valid one the answer is 401.
${rateLimit}Each key is a client, and a client sees only its own messages.`;
}

/** Everything the HTTP side needs besides the modules; main.ts and the e2e tests both call this. */
export function configureHttpApp(app: NestFastifyApplication): NestFastifyApplication {
  const config = app.get(AppConfig);
  const fastify = app.getHttpAdapter().getInstance();
  limitRouteBodies(app);
  admissionControl(fastify, {
    bytesInFlight: config.API_MAX_BYTES_IN_FLIGHT,
    workInFlight: config.API_MAX_RECIPIENTS_IN_FLIGHT,
    workPerTurn: MAX_RECIPIENTS,
  });
  fastify.addHook(
    'onRequest',
    securityHeaders({
      contentSecurityPolicy: {
        // Swagger UI (/docs) loads its scripts and styles from this origin, with inline styles and data: images,
        // all of which helmet's defaults allow. Not upgrade-insecure-requests: behind a proxy or on a laptop the
        // service is plain http, and the browser would then ask for /docs' scripts over https.
        directives: { upgradeInsecureRequests: null },
      },
    }),
  );
  if (config.corsOrigins.length > 0) {
    app.enableCors({
      origin: config.corsOrigins,
      allowedHeaders: ['Authorization', 'Content-Type', IDEMPOTENCY_KEY_HEADER, REQUEST_ID_HEADER],
      exposedHeaders: ['Retry-After', IDEMPOTENCY_REPLAY_HEADER, REQUEST_ID_HEADER],
      maxAge: 600,
    });
  }
  // Only its counting store and the createRateLimit decorator (global: false adds no hook to any route):
  // ClientRateLimitGuard applies it once ApiKeyGuard has told the client.
  void fastify.register(rateLimit, { global: false });

  app.useGlobalPipes(new ApiValidationPipe());
  app.useGlobalFilters(new HttpErrorFilter({ bodyLimitBytes: config.API_BODY_LIMIT_BYTES }));
  fastify.removeContentTypeParser('text/plain');
  useUtf8JsonParser(fastify);
  fastify.addHook('preParsing', decodeContentEncoding());
  // Before Nest's pipes copy the body recursively: a 5,000-level document would overflow their stack, and a
  // list of 349,000 items would hold the event loop for seconds.
  fastify.addHook('preValidation', rejectOversizedJson());
  fastify.addHook('preValidation', rejectIllFormedText());
  traceRequests(app);
  logRequests(fastify, new PinoLogger(app.get<Params>(PARAMS_PROVIDER_TOKEN)));
  // Some errors echo the request (a 404 names its path, a validation message the value it refuses): none
  // sends a configured secret back, wherever the client put it.
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    done(null, reply.statusCode >= 400 && typeof payload === 'string' ? secrets.scrub(payload) : payload);
  });

  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Messenger dispatch')
      .setDescription(apiDescription(config))
      .setVersion('1.0')
      .addTag('messages', 'Queue texts, follow their delivery, retry or cancel them.')
      .addTag('emulators', 'The receiving side of the emulated messengers: what each one accepted.')
      // package.json's: proprietary, not licensed for use by others.
      .setLicense('UNLICENSED', 'https://docs.npmjs.com/cli/configuring-npm/package-json#license')
      // Relative: the host that served the document, whatever the proxy in front calls it.
      .addServer('/')
      // addBearerAuth() would call the key a JWT.
      .addSecurity(API_KEY_SCHEME, {
        type: 'http',
        scheme: 'bearer',
        description: 'An API key: the secret of one API_KEYS entry. Its name is the client the request acts for.',
      })
      .build(),
  );
  documentAccess(document, { apiKeys: config.apiKeys.length > 0, rateLimit: config.rateLimit !== null });
  addExampleComponents(document);
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  return app;
}
