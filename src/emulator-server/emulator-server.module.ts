import { type DynamicModule, Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LoggerModule, type Params } from 'nestjs-pino';
import type { Options as PinoHttpOptions } from 'pino-http';
import type { Logger as PinoInstance } from 'pino';
import type { AppConfig } from '../config/app-config';
import { ConfigModule } from '../config/config.module';
import { dataSourceOptions } from '../database/data-source-options';
import { openMigrated } from '../database/migrate';
import { HealthModule } from '../health/health.module';
import { createRootLogger, loggingParams, redactRequest } from '../logging/logging';
import { MetricsModule } from '../metrics/metrics.module';
import { EmulatorInbox } from '../providers/emulators/emulator-inbox';
import { MESSENGER_WIRING } from '../providers/providers.module';
import { redactBotToken } from './emulator-http';
import { EmulatorServerInboxController } from './emulator-server-inbox.controller';

/**
 * The service's request logging, with a bot token also taken out of the path (`/bot<token>/sendMessage`).
 * A 5xx here is an emulated messenger's answer (a 502 Bad Gateway, a 500 "Something went wrong"), on purpose: an info line like
 * any other answer. A real failure is still logged as an error, by HttpErrorFilter, with its stack.
 */
export function emulatorLoggingParams(logger: PinoInstance): Params {
  const params = loggingParams(logger);
  const pinoHttp = params.pinoHttp as PinoHttpOptions;
  return {
    ...params,
    pinoHttp: {
      ...pinoHttp,
      // pino-http hands these an error of its own making for a 5xx; a real one only when the request failed.
      customLogLevel: (_req: unknown, _res: unknown, error?: Error) => (error ? 'error' : 'info'),
      customErrorMessage: (_req: unknown, res: { statusCode: number }, error: Error) =>
        error.message === `failed with status code ${res.statusCode}` ? 'request completed' : 'request errored',
      serializers: {
        ...pinoHttp.serializers,
        req: (req: { url?: string }) => {
          const redacted = redactRequest(req);
          return { ...redacted, url: redacted.url && redactBotToken(redacted.url) };
        },
      },
    },
  };
}

/**
 * APP_ROLE=emulators: the three messengers' APIs over HTTP, served by the same emulators the dispatch service
 * runs in process, with their inbox, /health and /metrics. Nothing of the dispatch service (no /messages, no
 * scheduler, no API keys). PostgreSQL holds the inbox, which is also the memory of Idempotency-Keys.
 */
@Module({})
export class EmulatorServerModule {
  static forRoot(config: AppConfig, logger: PinoInstance = createRootLogger(config)): DynamicModule {
    if (!config.DATABASE_URL)
      throw new Error('EmulatorServerModule needs a DATABASE_URL (main.ts starts an embedded one)');
    return {
      module: EmulatorServerModule,
      imports: [
        LoggerModule.forRoot(emulatorLoggingParams(logger)),
        ConfigModule.forRoot(config),
        TypeOrmModule.forRootAsync({
          useFactory: () => dataSourceOptions(config.DATABASE_URL!, config.databaseBounds),
          dataSourceFactory: (options) => openMigrated(options!),
        }),
        MetricsModule,
        HealthModule,
      ],
      controllers: [
        ...MESSENGER_WIRING.map((wiring) => wiring.emulatorServer.controller),
        EmulatorServerInboxController,
      ],
      providers: [EmulatorInbox, ...MESSENGER_WIRING.map((wiring) => wiring.emulatorServer.emulator)],
    };
  }
}
