import 'reflect-metadata';
import { ConsoleLogger, INestApplicationContext, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import { AppConfig, InvalidConfigError, loadConfig } from './config/app-config';
import { EmbeddedDatabase, startEmbeddedPostgres } from './database/embedded-postgres';
import { configureHttpApp, HTTP_APP_OPTIONS } from './http-app';

/** What is running, for the shutdown to stop in reverse: the app first, the embedded database last. */
const running: { app?: INestApplicationContext; embedded?: EmbeddedDatabase } = {};

async function bootstrap(config: AppConfig, logger: ConsoleLogger): Promise<void> {
  const log = new Logger('Bootstrap');
  if (!config.DATABASE_URL) {
    running.embedded = await startEmbeddedPostgres({ dir: '.data/postgres', database: 'dispatch' });
    config.DATABASE_URL = running.embedded.url;
    log.warn(`DATABASE_URL is not set: using an embedded PostgreSQL with its data in ./.data/postgres (${running.embedded.url})`);
  }

  if (config.runsApi) {
    const http = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), new FastifyAdapter(), {
      ...HTTP_APP_OPTIONS,
      logger,
    });
    configureHttpApp(http);
    running.app = http;
    await http.listen(config.PORT, '0.0.0.0');
    log.log(`role ${config.APP_ROLE}: API on http://localhost:${config.PORT} (OpenAPI UI at /docs)`);
  } else {
    running.app = await NestFactory.createApplicationContext(AppModule.forRoot(config), { logger });
    log.log('role worker: scheduler only, no HTTP');
  }
}

/** Our own signal handling (not enableShutdownHooks), so that the embedded database stops after the app. */
async function shutdown(starting: Promise<void>, signal: string): Promise<never> {
  const log = new Logger('Bootstrap');
  log.log(`${signal}: finishing the batch in hand, then stopping`);
  let exitCode = 0;
  try {
    // A signal during start-up waits for it, so that nothing is left half-open.
    await starting.catch(() => undefined);
    await running.app?.close();
  } catch (error) {
    log.error(`shutdown failed: ${error instanceof Error ? error.message : String(error)}`);
    exitCode = 1;
  }
  await running.embedded?.stop();
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
  const logger = new ConsoleLogger({ json: config.logFormat === 'json', colors: config.logFormat === 'pretty' });
  Logger.overrideLogger(logger);

  const starting = bootstrap(config, logger);
  // Installed before start-up finishes: a SIGTERM then still means "stop cleanly", not "die".
  process.once('SIGTERM', (signal) => void shutdown(starting, signal));
  process.once('SIGINT', (signal) => void shutdown(starting, signal));
  starting.catch((error: unknown) => {
    new Logger('Bootstrap').error(error instanceof Error ? (error.stack ?? error.message) : String(error));
    process.exit(1);
  });
}

main();
