import 'reflect-metadata';
import { ConsoleLogger, INestApplicationContext, Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { AppModule } from './app.module';
import { InvalidConfigError, loadConfig } from './config/app-config';
import { EmbeddedDatabase, startEmbeddedPostgres } from './database/embedded-postgres';
import { configureHttpApp, HTTP_APP_OPTIONS } from './http-app';

async function bootstrap(): Promise<void> {
  const config = loadConfig();
  const logger = new ConsoleLogger({ json: config.logFormat === 'json', colors: config.logFormat === 'pretty' });
  Logger.overrideLogger(logger);
  const log = new Logger('Bootstrap');

  let embedded: EmbeddedDatabase | undefined;
  if (!config.DATABASE_URL) {
    embedded = await startEmbeddedPostgres({ dir: '.data/postgres', database: 'dispatch' });
    config.DATABASE_URL = embedded.url;
    log.warn(`DATABASE_URL is not set: using an embedded PostgreSQL with its data in ./.data/postgres (${embedded.url})`);
  }

  let app: INestApplicationContext;
  if (config.runsApi) {
    const http = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config), new FastifyAdapter(), {
      ...HTTP_APP_OPTIONS,
      logger,
    });
    configureHttpApp(http);
    await http.listen(config.PORT, '0.0.0.0');
    log.log(`role ${config.APP_ROLE}: API on http://localhost:${config.PORT} (OpenAPI UI at /docs)`);
    app = http;
  } else {
    app = await NestFactory.createApplicationContext(AppModule.forRoot(config), { logger });
    log.log('role worker: scheduler only, no HTTP');
  }

  // Our own signal handling (not enableShutdownHooks) so that the embedded database stops after the app.
  const shutdown = async (signal: string) => {
    log.log(`${signal}: finishing the batch in hand, then stopping`);
    let exitCode = 0;
    try {
      await app.close();
    } catch (error) {
      log.error(`shutdown failed: ${error instanceof Error ? error.message : String(error)}`);
      exitCode = 1;
    }
    await embedded?.stop();
    process.exit(exitCode);
  };
  process.once('SIGTERM', (signal) => void shutdown(signal));
  process.once('SIGINT', (signal) => void shutdown(signal));
}

bootstrap().catch((error: unknown) => {
  if (error instanceof InvalidConfigError) console.error(error.message);
  else console.error(error);
  process.exit(1);
});
