import { Logger } from '@nestjs/common';
import { dataSourceOptions } from '../src/database/data-source-options';
import { openMigrated } from '../src/database/migrate';
import { migrations } from '../src/database/migrations';
import { createTestApp } from './support/test-app';
import { createTestDatabase } from './support/test-database';

describe('Start-up', () => {
  it('migrates an empty database exactly once when several processes start together', async () => {
    const database = await createTestDatabase({ empty: true });
    // The migrator's line, asserted here rather than printed among the test results.
    const logged = jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
    try {
      // Straight to the migrator: Nest's connection retries would hide a failed first try.
      const dataSources = await Promise.all([1, 2, 3].map(() => openMigrated(dataSourceOptions(database.url))));

      const [{ n }] = await dataSources[0].query('SELECT count(*)::int AS n FROM migrations');
      expect(n).toBe(migrations.length);
      expect(logged.mock.calls).toEqual([[`applied migrations: ${migrations.map((m) => m.name).join(', ')}`]]);
      await Promise.all(dataSources.map((ds) => ds.destroy()));
    } finally {
      logged.mockRestore();
      await database.drop();
    }
  });

  it('serves requests on a database it migrated itself', async () => {
    const database = await createTestDatabase({ empty: true });
    const t = await createTestApp({ database });
    try {
      await t.http
        .post('/messages')
        .send({ body: 'hi', recipients: [{ provider: 'viber', recipient: 'x' }] })
        .expect(202);
    } finally {
      await t.close();
      await database.drop();
    }
  });
});
