import type { DataSourceOptions } from 'typeorm';
import { IdempotencyKeyEntity } from '../idempotency/idempotency-key.entity';
import { MessageAttemptEntity } from '../messages/message-attempt.entity';
import { MessageEntity } from '../messages/message.entity';
import { EmulatorInboxEntity } from '../providers/emulators/emulator-inbox.entity';
import { migrations } from './migrations';

/** The one description of our database, shared by the app, the TypeORM CLI (ormconfig.ts) and tests. */
export function dataSourceOptions(url: string): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: [MessageEntity, MessageAttemptEntity, EmulatorInboxEntity, IdempotencyKeyEntity],
    migrations,
    // Schema changes go through migrations only; see src/database/migrations.
    synchronize: false,
    migrationsTransactionMode: 'each',
    // pgcrypto's gen_random_uuid() is built into PostgreSQL 13+, no extension to install.
    uuidExtension: 'pgcrypto',
    // A database that doesn't answer a connect (down, unreachable, or every pooled connection busy) fails
    // the query after this long, which the API answers 503, rather than holding the request forever.
    extra: { max: 10, connectionTimeoutMillis: 5_000 },
  };
}
