import { DynamicModule, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { TypeOrmModule } from '@nestjs/typeorm';
import { LoggerModule } from 'nestjs-pino';
import type { Logger as PinoInstance } from 'pino';
import { AuthModule } from './auth/auth.module';
import { CallbacksModule } from './callbacks/callbacks.module';
import { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { dataSourceOptions } from './database/data-source-options';
import { openMigrated } from './database/migrate';
import { DispatchModule } from './dispatch/dispatch.module';
import { HealthModule } from './health/health.module';
import { createRootLogger, loggingParams } from './logging/logging';
import { MessagesModule } from './messages/messages.module';
import { MetricsModule } from './metrics/metrics.module';
import { ProvidersModule } from './providers/providers.module';
import { RetentionModule } from './retention/retention.module';

/**
 * The whole service, built from a validated config (main.ts reads it from the environment, tests build their own).
 * `logger`: the process's pino logger, when main.ts has made it already for the lines of start-up.
 */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig, logger: PinoInstance = createRootLogger(config)): DynamicModule {
    if (!config.DATABASE_URL) throw new Error('AppModule needs a DATABASE_URL (main.ts starts an embedded one)');
    return {
      module: AppModule,
      imports: [
        // No middleware: configureHttpApp logs the requests on fastify's hooks (logRequests).
        LoggerModule.forRoot({ ...loggingParams(logger), forRoutes: [] }),
        ConfigModule.forRoot(config),
        TypeOrmModule.forRootAsync({
          useFactory: () => dataSourceOptions(config.DATABASE_URL!, config.databaseBounds),
          dataSourceFactory: (options) => openMigrated(options!),
        }),
        ScheduleModule.forRoot(),
        AuthModule,
        MetricsModule,
        HealthModule,
        MessagesModule,
        ProvidersModule,
        DispatchModule,
        RetentionModule,
        CallbacksModule,
      ],
    };
  }
}
