import type { EmbeddedDatabase } from '../../src/database/embedded-postgres';
import { TEST_ENV, withAdminClient } from './test-database';

/** Drops every database this run created (test files normally drop their own) and stops the embedded server. */
export default async function globalTeardown(): Promise<void> {
  const serverUrl = process.env[TEST_ENV.serverUrl];
  const prefix = process.env[TEST_ENV.prefix];
  const embedded = (globalThis as Record<string, unknown>).__embeddedPostgres as EmbeddedDatabase | undefined;
  if (serverUrl && prefix && !embedded) {
    await withAdminClient(serverUrl, async (admin) => {
      const { rows } = await admin.query<{ datname: string }>('SELECT datname FROM pg_database WHERE datname LIKE $1', [
        `${prefix}%`,
      ]);
      for (const { datname } of rows) await admin.query(`DROP DATABASE IF EXISTS "${datname}" WITH (FORCE)`);
    });
  }
  await embedded?.stop();
}
