import 'reflect-metadata';
import type { DynamicModule, INestApplicationContext, LoggerService } from '@nestjs/common';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';
import type { AddressInfo, Server } from 'node:net';
import type { Logger as PinoInstance } from 'pino';
import { AppModule } from './app.module';
import type { AppConfig } from './config/app-config';
import { InvalidConfigError, loadConfig } from './config/app-config';
import type { EmbeddedDatabase } from './database/embedded-postgres';
import { EmbeddedPostgresError, startEmbeddedPostgres } from './database/embedded-postgres';
import { listenForProbes } from './health/probe-server';
import { configureHttpApp, HTTP_APP_OPTIONS } from './http-app';
import { createHttpAdapter } from './http-server';
import { configureEmulatorServer } from './emulator-server/emulator-server';
import { EmulatorServerModule, emulatorLoggingParams } from './emulator-server/emulator-server.module';
import { databaseEndpoint, listenerEndpoint } from './logging/endpoints';
import { MESSENGERS } from './providers/messengers';
import { createRootLogger, endLogs, nestLogger } from './logging/logging';
import { errorMessage } from './common/error-message';

/** What is running, for the shutdown to stop in reverse: the app first, the embedded database last. */
const running: {
  app?: INestApplicationContext;
  http?: NestFastifyApplication;
  probes?: FastifyInstance;
  embedded?: EmbeddedDatabase;
} = {};
/** Set by a stop during start-up: the steps not begun yet are skipped. */
let stopping = false;

async function bootstrap(config: AppConfig, root: PinoInstance, logger: LoggerService): Promise<void> {
  if (stopping) return;
  const log = new Logger('Bootstrap');
  if (config.DATABASE_URL) {
    log.log({ event: 'database', ...databaseEndpoint(config.DATABASE_URL) }, 'PostgreSQL from DATABASE_URL');
  } else {
    log.warn('DATABASE_URL is not set: starting an embedded PostgreSQL (not for production)');
    running.embedded = await startEmbeddedPostgres({ dir: '.data/postgres', database: 'dispatch' });
    config.DATABASE_URL = running.embedded.url;
    const { port, database, dataDir } = running.embedded;
    log.log({ event: 'database', host: '127.0.0.1', port, database, dataDir }, 'embedded PostgreSQL');
  }
  if (stopping) return;

  if (config.runsEmulators) {
    await serveHttp(
      config,
      logger,
      EmulatorServerModule.forRoot(config, root),
      configureEmulatorServer,
      (url, scope) =>
        `role emulators: the ${MESSENGERS.map((m) => m.displayName).join(', ')} APIs on ${url} (${scope}), ` +
        'inbox at /emulators/:provider/inbox',
    );
  } else if (config.runsApi) {
    const listening = await serveHttp(
      config,
      logger,
      AppModule.forRoot(config, root),
      configureHttpApp,
      (url, scope) => `role ${config.APP_ROLE}: API on ${url} (${scope}; OpenAPI UI at /docs)`,
    );
    if (!listening) return;
    const clients = config.apiKeys.map((key) => key.client);
    if (clients.length === 0) {
      log.warn(
        'API_KEYS is not set: the API is OPEN to anyone who can reach it, and every request acts as client "default"',
      );
    } else {
      log.log(`API keys for ${clients.length} client(s): ${clients.join(', ')}`);
    }
  } else {
    running.app = await NestFactory.createApplicationContext(AppModule.forRoot(config, root), { logger });
    if (stopping) return;
    if (config.HEALTH_PORT === undefined) {
      log.log('role worker: scheduler only, no HTTP (set HEALTH_PORT for /health and /metrics)');
    } else {
      running.probes = await listenForProbes(running.app, config.HEALTH_PORT, config.HOST);
      logListening(
        log,
        running.probes.server,
        (url, scope) => `role worker: scheduler, with /health and /metrics on ${url} (${scope})`,
      );
    }
  }
}

/**
 * An HTTP role (emulators, api, all): its app made and configured, then listening on PORT, logged with what
 * `serves` says it serves there. false when a stop came before it listened.
 */
async function serveHttp(
  config: AppConfig,
  logger: LoggerService,
  module: DynamicModule,
  configure: (app: NestFastifyApplication) => unknown,
  serves: (url: string, scope: string) => string,
): Promise<boolean> {
  const http = await NestFactory.create<NestFastifyApplication>(module, createHttpAdapter(config), {
    ...HTTP_APP_OPTIONS,
    logger,
  });
  configure(http);
  running.app = running.http = http;
  if (stopping) return false;
  await http.listen(config.PORT, config.HOST);
  const log = new Logger('Bootstrap');
  logListening(log, http.getHttpServer(), serves);
  if (config.HEALTH_PORT !== undefined)
    log.warn(`HEALTH_PORT is ignored: role ${config.APP_ROLE} serves /health and /metrics on PORT`);
  return true;
}

/** The "listening" line: the address the server got (PORT may be 0), and what `serves` says it serves there. */
function logListening(log: Logger, server: Server, serves: (url: string, scope: string) => string): void {
  const bound = server.address() as AddressInfo;
  const { url, scope } = listenerEndpoint(bound);
  log.log({ event: 'listening', address: bound.address, port: bound.port }, serves(url, scope));
}

/**
 * Requests in flight when a stop begins get this long to finish. Then their connections are cut: a client
 * that opened a request and went quiet would otherwise hold the stop for Node's 60-second headers
 * timeout, past most orchestrators' grace period (docs/performance.md#a-stop-cuts-idle-connections-after-5-s).
 */
const HTTP_DRAIN_MS = 5_000;

/**
 * Our own signal handling (not enableShutdownHooks), so that the embedded database stops after the app.
 * Also the way out of a failed start-up (no signal): whatever had started is stopped, and the exit code is 1.
 */
async function shutdown(starting: Promise<void>, logs: PinoInstance, signal?: NodeJS.Signals): Promise<never> {
  const log = new Logger('Bootstrap');
  if (signal) log.log(`${signal}: finishing the batch in hand, then stopping`);
  stopping = true;
  // A stop during start-up waits for the step in hand, so that nothing is left half-open.
  let exitCode = await starting.then(
    () => 0,
    () => 1,
  );
  try {
    const http = running.http?.getHttpServer();
    const cut = http && setTimeout(() => http.closeAllConnections(), HTTP_DRAIN_MS).unref();
    await running.app?.close();
    clearTimeout(cut);
    // After the app: while it finishes its batch, /health/ready answers 503 (shutting down) rather than nothing.
    await running.probes?.close();
  } catch (error) {
    log.error(`shutdown failed: ${errorMessage(error)}`);
    exitCode = 1;
  }
  await running.embedded?.stop();
  log.log({ event: 'stopped', exitCode, ...(signal && { signal }) });
  await endLogs(logs);
  process.exit(exitCode);
}

/** Starts the service; returns the stop that main.ts calls on SIGTERM or SIGINT. */
export function start(): (signal: NodeJS.Signals) => void {
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (error) {
    console.error(error instanceof InvalidConfigError ? error.message : error);
    process.exit(1);
  }
  // One pino logger for the whole process, made before anything logs: start-up lines are JSON too.
  const root = createRootLogger(config);
  const logger = config.runsEmulators ? nestLogger(root, emulatorLoggingParams(root)) : nestLogger(root);
  Logger.overrideLogger(logger);

  // One turn of the event loop first: a signal that came while the modules loaded is handled before anything starts.
  const starting = new Promise<void>((resolve) => setImmediate(resolve)).then(() => bootstrap(config, root, logger));
  // One stop at a time: a SIGINT after a SIGTERM changes nothing (the same signal twice ends the process: main.ts listens once).
  let stopped: Promise<never> | undefined;
  const stop = (signal?: NodeJS.Signals) => (stopped ??= shutdown(starting, root, signal));
  starting.catch((error: unknown) => {
    // A cause the user can act on is one line that says what to do; anything else keeps its stack.
    const line =
      error instanceof EmbeddedPostgresError
        ? error.message
        : error instanceof Error
          ? (error.stack ?? error.message)
          : String(error);
    new Logger('Bootstrap').error(line);
    void stop();
  });
  return (signal) => void stop(signal);
}
