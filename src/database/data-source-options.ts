import type { DataSourceOptions } from 'typeorm';
import { AppConfig } from '../config/app-config';
import { CallbackAttemptEntity } from '../callbacks/callback-attempt.entity';
import { CallbackEventEntity } from '../callbacks/callback-event.entity';
import { DispatchLaneEntity } from '../dispatch/dispatch-lane.entity';
import { DispatchRecipientEntity } from '../dispatch/dispatch-recipient.entity';
import { IdempotencyKeyEntity } from '../idempotency/idempotency-key.entity';
import { MessageAttemptEntity } from '../messages/message-attempt.entity';
import { MessageKeyEntity } from '../messages/message-key.entity';
import { MessageEntity } from '../messages/message.entity';
import { EmulatorInboxEntity } from '../providers/emulators/emulator-inbox.entity';
import { SenderAccountStateEntity } from '../providers/senders/sender-account-state.entity';
import { DedupRecordEntity } from '../retention/dedup-record.entity';
import type { ConnectionBounds } from './bounded-pg-client';
import { boundedClientOptions } from './bounded-pg-client';
import { migrations } from './migrations';

/**
 * The one description of our database, shared by the app, the TypeORM CLI (ormconfig.ts) and tests.
 * `bounds`: DATABASE_CONNECT_TIMEOUT_MS and DATABASE_QUERY_TIMEOUT_MS, the defaults unless given.
 */
export function dataSourceOptions(
  url: string,
  bounds: ConnectionBounds = new AppConfig().databaseBounds,
): DataSourceOptions {
  return {
    type: 'postgres',
    url,
    entities: [
      MessageEntity,
      MessageAttemptEntity,
      MessageKeyEntity,
      EmulatorInboxEntity,
      IdempotencyKeyEntity,
      CallbackEventEntity,
      CallbackAttemptEntity,
      DispatchLaneEntity,
      DispatchRecipientEntity,
      SenderAccountStateEntity,
      DedupRecordEntity,
    ],
    migrations,
    // Schema changes go through migrations only; see src/database/migrations.
    synchronize: false,
    migrationsTransactionMode: 'each',
    // pgcrypto's gen_random_uuid() is built into PostgreSQL 13+, no extension to install.
    uuidExtension: 'pgcrypto',
    // A database that doesn't answer (down, unreachable, frozen, or every pooled connection busy) fails the
    // statement within the connect and query bounds, which the API answers 503, rather than holding the
    // request forever. See BoundedPgClient.
    extra: { max: 10, ...boundedClientOptions(bounds) },
  };
}

/**
 * For migrations: a migration may rightly run for minutes (an index built on a big table), and so may the
 * wait for another process's migrations. Connecting stays bounded.
 */
export function withoutQueryTimeout(options: DataSourceOptions): DataSourceOptions {
  return { ...options, extra: { ...(options.extra as object), query_timeout: 0 } };
}
