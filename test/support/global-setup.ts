import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../../src/database/data-source-options';
import { startEmbeddedPostgres } from '../../src/database/embedded-postgres';
import { databaseUrl, TEST_ENV, withAdminClient } from './test-database';

/**
 * Finds a PostgreSQL (TEST_DATABASE_URL, or an embedded one started here), migrates a template database
 * once, and tells the test files where it is. Every run uses its own prefix, so runs never meet.
 */
export default async function globalSetup(): Promise<void> {
  let serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) {
    const embedded = await startEmbeddedPostgres({
      dir: mkdtempSync(join(tmpdir(), 'dispatch-test-pg-')),
      database: 'postgres',
      persistent: false,
      // Throwaway data: durability buys nothing here and costs seconds.
      settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off', max_connections: '200' },
    });
    (globalThis as Record<string, unknown>).__embeddedPostgres = embedded;
    serverUrl = embedded.url;
  }
  const prefix = `dispatch_test_${process.pid}_${Date.now().toString(36)}`;
  const template = `${prefix}_template`;
  await withAdminClient(serverUrl, (admin) => admin.query(`CREATE DATABASE "${template}"`));
  const dataSource = new DataSource(dataSourceOptions(databaseUrl(serverUrl, template)));
  await dataSource.initialize();
  await dataSource.runMigrations();
  await dataSource.destroy();

  process.env[TEST_ENV.serverUrl] = serverUrl;
  process.env[TEST_ENV.template] = template;
  process.env[TEST_ENV.prefix] = prefix;
}
