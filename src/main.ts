import 'reflect-metadata';
import { INestApplicationContext, Logger, LoggerService } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import type { Logger as PinoInstance } from 'pino';
import { AppModule } from './app.module';
import { AppConfig, InvalidConfigError, loadConfig } from './config/app-config';
import { EmbeddedDatabase, EmbeddedPostgresError, startEmbeddedPostgres } from './database/embedded-postgres';
import { listenForProbes } from './health/probe-server';
import { configureHttpApp, HTTP_APP_OPTIONS } from './http-app';
import { createHttpAdapter } from './http-server';
import { databaseEndpoint, listenerEndpoint } from './logging/endpoints';
import { createRootLogger, nestLogger } from './logging/logging';

/** What is running, for the shutdown to stop in reverse: the app first, the embedded database last. */
const running: { app?: INestApplicationContext; http?: NestFastifyApplication; probes?: FastifyInstance; embedded?: EmbeddedDatabase } = {};

async function bootstrap(config: AppConfig, root: PinoInstance, logger: LoggerService): Promise<void> {
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

  if (config.runsApi) {
    const http = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, root), createHttpAdapter(config), {
      ...HTTP_APP_OPTIONS,
      logger,
    });
    configureHttpApp(http);
    running.app = running.http = http;
    await http.listen(config.PORT, config.HOST);
    const bound = http.getHttpServer().address() as AddressInfo;
    const { url, scope } = listenerEndpoint(bound);
    log.log({ event: 'listening', address: bound.address, port: bound.port }, `role ${config.APP_ROLE}: API on ${url} (${scope}; OpenAPI UI at /docs)`);
    const clients = config.apiKeys.map((key) => key.client);
    if (clients.length === 0) {
      log.warn('API_KEYS is not set: the API is OPEN to anyone who can reach it, and every request acts as client "default"');
    } else {
      log.log(`API keys for ${clients.length} client(s): ${clients.join(', ')}`);
    }
    if (config.HEALTH_PORT !== undefined) log.warn(`HEALTH_PORT is ignored: role ${config.APP_ROLE} serves /health and /metrics on PORT`);
  } else {
    running.app = await NestFactory.createApplicationContext(AppModule.forRoot(config, root), { logger });
    if (config.HEALTH_PORT === undefined) {
      log.log('role worker: scheduler only, no HTTP (set HEALTH_PORT for /health and /metrics)');
    } else {
      running.probes = await listenForProbes(running.app, config.HEALTH_PORT, config.HOST);
      const bound = running.probes.server.address() as AddressInfo;
      const { url, scope } = listenerEndpoint(bound);
      log.log({ event: 'listening', address: bound.address, port: bound.port }, `role worker: scheduler, with /health and /metrics on ${url} (${scope})`);
    }
  }
}

/**
 * Requests in flight when a stop begins get this long to finish. Then their connections are cut: a client
 * that opened a request and went quiet would otherwise hold the stop for Node's 60-second headers
 * timeout (the benchmark's load generator did, on every run), past most orchestrators' grace period.
 */
const HTTP_DRAIN_MS = 5_000;

/** Our own signal handling (not enableShutdownHooks), so that the embedded database stops after the app. */
async function shutdown(starting: Promise<void>, signal: string): Promise<never> {
  const log = new Logger('Bootstrap');
  log.log(`${signal}: finishing the batch in hand, then stopping`);
  let exitCode = 0;
  try {
    // A signal during start-up waits for it, so that nothing is left half-open.
    await starting.catch(() => undefined);
    const http = running.http?.getHttpServer();
    const cut = http && setTimeout(() => http.closeAllConnections(), HTTP_DRAIN_MS).unref();
    await running.app?.close();
    clearTimeout(cut);
    // After the app: while it finishes its batch, /health/ready answers 503 (shutting down) rather than nothing.
    await running.probes?.close();
  } catch (error) {
    log.error(`shutdown failed: ${error instanceof Error ? error.message : String(error)}`);
    exitCode = 1;
  }
  await running.embedded?.stop();
  log.log({ event: 'stopped', exitCode, signal });
  // pino's asynchronous stdout buffer is flushed synchronously on exit.
  process.exit(exitCode);
}

function main(): void {
  let config: AppConfig;
  try {
    config = loadConfig();
  } catch (error) {
    console.error(error instanceof InvalidConfigError ? error.message : error);
    process.exit(1);
  }
  // One pino logger for the whole process, made before anything logs: start-up lines are JSON too.
  const root = createRootLogger(config);
  const logger = nestLogger(root);
  Logger.overrideLogger(logger);

  const starting = bootstrap(config, root, logger);
  // Installed before start-up finishes: a SIGTERM then still means "stop cleanly", not "die".
  process.once('SIGTERM', (signal) => void shutdown(starting, signal));
  process.once('SIGINT', (signal) => void shutdown(starting, signal));
  starting.catch((error: unknown) => {
    // A cause the user can act on is one line that says what to do; anything else keeps its stack.
    const line = error instanceof EmbeddedPostgresError ? error.message : error instanceof Error ? (error.stack ?? error.message) : String(error);
    new Logger('Bootstrap').error(line);
    process.exit(1);
  });
}

main();
