import { DynamicModule, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AppConfig } from './config/app-config';
import { ConfigModule } from './config/config.module';
import { dataSourceOptions } from './database/data-source-options';
import { openMigrated } from './database/migrate';
import { DispatchModule } from './dispatch/dispatch.module';
import { MessagesModule } from './messages/messages.module';
import { ProvidersModule } from './providers/providers.module';

/** The whole service, built from a validated config (main.ts reads it from the environment, tests build their own). */
@Module({})
export class AppModule {
  static forRoot(config: AppConfig): DynamicModule {
    if (!config.DATABASE_URL) throw new Error('AppModule needs a DATABASE_URL (main.ts starts an embedded one)');
    return {
      module: AppModule,
      imports: [
        ConfigModule.forRoot(config),
        TypeOrmModule.forRootAsync({
          useFactory: () => dataSourceOptions(config.DATABASE_URL!),
          dataSourceFactory: (options) => openMigrated(options!),
        }),
        ScheduleModule.forRoot(),
        MessagesModule,
        ProvidersModule,
        DispatchModule,
      ],
    };
  }
}
