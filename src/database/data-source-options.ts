import type { DataSourceOptions } from 'typeorm';
import { MessageAttemptEntity } from '../messages/message-attempt.entity';
import { MessageEntity } from '../messages/message.entity';
import { EmulatorInboxEntity } from '../providers/emulators/emulator-inbox.entity';
import { migrations } from './migrations';

/** The one description of our database, shared by the app, the TypeORM CLI (ormconfig.ts) and tests. */
export function dataSourceOptions(url: string): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: [MessageEntity, MessageAttemptEntity, EmulatorInboxEntity],
    migrations,
    // Schema changes go through migrations only; see src/database/migrations.
    synchronize: false,
    migrationsTransactionMode: 'each',
    // pgcrypto's gen_random_uuid() is built into PostgreSQL 13+, no extension to install.
    uuidExtension: 'pgcrypto',
    extra: { max: 10 },
  };
}
