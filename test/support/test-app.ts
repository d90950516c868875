import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { AppModule } from '../../src/app.module';
import { loadConfig } from '../../src/config/app-config';
import { DispatchRepository } from '../../src/dispatch/dispatch.repository';
import { DispatchService } from '../../src/dispatch/dispatch.service';
import { configureHttpApp, HTTP_APP_OPTIONS } from '../../src/http-app';
import { createHttpAdapter } from '../../src/http-server';
import { createRootLogger, nestLogger } from '../../src/logging/logging';
import { MESSENGER_PROVIDERS, type MessengerProvider } from '../../src/providers/messenger-provider';
import type { MessengerName } from '../../src/providers/messengers';
import type { ScriptedMessenger } from './scripted-messenger';
import { scriptedMessengers, succeed } from './scripted-messenger';
import { testLogSink } from './test-logs';
import type { TestDatabase } from './test-database';
import { createTestDatabase } from './test-database';

export interface TestApp {
  readonly app: NestFastifyApplication;
  readonly http: ReturnType<typeof request>;
  readonly dispatch: DispatchService;
  readonly dispatchRepository: DispatchRepository;
  readonly dataSource: DataSource;
  readonly messengers: Record<MessengerName, ScriptedMessenger>;
  readonly database: TestDatabase;
  /** An empty queue and well-behaved messengers that remember no calls: a fresh start for each test. */
  reset(): Promise<void>;
  /** Raw SQL against the test database, for arranging and inspecting rows. */
  sql<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

export interface TestAppOptions {
  /** Environment overrides, as the service would read them. */
  readonly env?: Record<string, string>;
  /** Use the real emulators instead of scripted messengers. */
  readonly realEmulators?: boolean;
  /** Send through these messengers: another TestApp's emulators, so that its limits count both apps' sends. */
  readonly providers?: readonly MessengerProvider[];
  /** Share a database with another TestApp (a second worker). */
  readonly database?: TestDatabase;
}

/**
 * The whole service on its own database, with the scheduler off (APP_ROLE=api): tests call
 * dispatch.dispatchDue() themselves and wait on conditions, not on the clock.
 */
export async function createTestApp(options: TestAppOptions = {}): Promise<TestApp> {
  const database = options.database ?? (await createTestDatabase());
  const config = loadConfig({
    DATABASE_URL: database.url,
    APP_ROLE: 'api',
    RETRY_BASE_DELAY_MS: '1',
    RETRY_MAX_DELAY_MS: '1',
    EMULATOR_LATENCY_MS: '0',
    EMULATOR_FAILURE_RATE: '0',
    EMULATOR_RATE_LIMITED_RATE: '0',
    EMULATOR_PERMANENT_RATE: '0',
    // Specs about pacing turn it on; the others send as fast as they claim.
    DISPATCH_PACING: 'off',
    // pino writes to stdout directly: no line per request in the test output, only what went wrong.
    LOG_LEVEL: 'error',
    ...options.env,
  });
  const messengers = scriptedMessengers();
  // Nest's lines too go through pino to testLogSink, which a spec may capture (see captureLogs).
  const logger = createRootLogger(config, testLogSink);
  let builder = Test.createTestingModule({ imports: [AppModule.forRoot(config, logger)] });
  if (options.providers) {
    builder = builder.overrideProvider(MESSENGER_PROVIDERS).useValue(options.providers);
  } else if (!options.realEmulators) {
    builder = builder.overrideProvider(MESSENGER_PROVIDERS).useValue(Object.values(messengers));
  }
  const moduleRef = await builder.compile();
  const app = configureHttpApp(
    moduleRef.createNestApplication<NestFastifyApplication>(createHttpAdapter(config), {
      ...HTTP_APP_OPTIONS,
      logger: nestLogger(logger),
    }),
  );
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  const dataSource = app.get(DataSource);
  return {
    app,
    http: request(app.getHttpServer()),
    dispatch: app.get(DispatchService),
    dispatchRepository: app.get(DispatchRepository),
    dataSource,
    messengers,
    database,
    sql: (text, params) => dataSource.query(text, params),
    reset: async () => {
      // Their keys and attempts too: neither is tied to the message by a foreign key.
      await dataSource.query('DELETE FROM messages');
      await dataSource.query('DELETE FROM message_keys');
      await dataSource.query('DELETE FROM message_attempts');
      for (const messenger of Object.values(messengers)) {
        messenger.calls.length = 0;
        messenger.script = succeed;
      }
    },
    close: async () => {
      await app.close();
      if (!options.database) await database.drop();
    },
  };
}
