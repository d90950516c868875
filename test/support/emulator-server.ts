import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { Test } from '@nestjs/testing';
import type { AddressInfo } from 'node:net';
import { DataSource } from 'typeorm';
import { loadConfig } from '../../src/config/app-config';
import { configureEmulatorServer } from '../../src/emulator-server/emulator-server';
import { EmulatorServerModule, emulatorLoggingParams } from '../../src/emulator-server/emulator-server.module';
import { HTTP_APP_OPTIONS } from '../../src/http-app';
import { createHttpAdapter } from '../../src/http-server';
import { createRootLogger, nestLogger } from '../../src/logging/logging';
import { createTestDatabase, type TestDatabase } from './test-database';
import { testLogSink } from './test-logs';

export interface EmulatorServer {
  /** http://127.0.0.1:<port>, the root every messenger's path hangs from (a sender account's base_url). */
  readonly url: string;
  readonly app: NestFastifyApplication;
  readonly database: TestDatabase;
  /** Raw SQL against the server's database. */
  sql<T = Record<string, unknown>>(text: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

/** Instant and never failing at random: a spec turns on what it is about. */
export const QUIET_EMULATORS = {
  EMULATOR_LATENCY_MS: '0',
  EMULATOR_FAILURE_RATE: '0',
  EMULATOR_RATE_LIMITED_RATE: '0',
  EMULATOR_PERMANENT_RATE: '0',
};

/**
 * The emulator server (APP_ROLE=emulators) in this process, listening on a real socket of 127.0.0.1, on a
 * database of its own unless given one (the dispatch service's, to check one inbox from both sides).
 */
export async function startEmulatorServer(
  env: Record<string, string> = {},
  options: { readonly database?: TestDatabase } = {},
): Promise<EmulatorServer> {
  const database = options.database ?? (await createTestDatabase());
  const config = loadConfig({
    DATABASE_URL: database.url,
    APP_ROLE: 'emulators',
    LOG_LEVEL: 'error',
    ...QUIET_EMULATORS,
    ...env,
  });
  const logger = createRootLogger(config, testLogSink);
  const moduleRef = await Test.createTestingModule({
    imports: [EmulatorServerModule.forRoot(config, logger)],
  }).compile();
  const app = configureEmulatorServer(
    moduleRef.createNestApplication<NestFastifyApplication>(createHttpAdapter(config), {
      ...HTTP_APP_OPTIONS,
      logger: nestLogger(logger, emulatorLoggingParams(logger)),
    }),
  );
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  const dataSource = app.get(DataSource);
  return {
    url: `http://127.0.0.1:${port}`,
    app,
    database,
    sql: (text, params) => dataSource.query(text, params),
    close: async () => {
      await app.close();
      if (!options.database) await database.drop();
    },
  };
}
