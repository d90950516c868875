import { Logger } from '@nestjs/common';
import type { DataSourceOptions } from 'typeorm';
import { DataSource } from 'typeorm';
import { withoutQueryTimeout } from './data-source-options';

/** Any constant works; it only has to be the same in every process of this service. */
export const MIGRATION_LOCK = 727_100_001;

/**
 * Applies pending migrations under a PostgreSQL advisory lock (an API and its workers often start
 * together, and TypeORM alone would let both create the same table), then opens the data source.
 * The migrations run on a data source of their own, without the query bound (see withoutQueryTimeout):
 * the service's own is opened only afterwards, bounded.
 */
export async function openMigrated(options: DataSourceOptions): Promise<DataSource> {
  const migrator = await new DataSource(withoutQueryTimeout(options)).initialize();
  try {
    const lock = migrator.createQueryRunner();
    await lock.connect();
    try {
      await lock.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
      const applied = await migrator.runMigrations({ transaction: 'each' });
      if (applied.length > 0)
        new Logger('Database').log(`applied migrations: ${applied.map((m) => m.name).join(', ')}`);
    } finally {
      await lock.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]).catch(() => undefined);
      await lock.release();
    }
  } finally {
    await migrator.destroy();
  }
  return new DataSource(options).initialize();
}
