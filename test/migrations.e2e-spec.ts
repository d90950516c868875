import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../src/database/data-source-options';
import { migrations } from '../src/database/migrations';
import { ClientTenancy1795860000000 } from '../src/database/migrations/1795860000000-ClientTenancy';
import { MessageKeys1796400000000 } from '../src/database/migrations/1796400000000-MessageKeys';
import type { TestDatabase } from './support/test-database';
import { createTestDatabase } from './support/test-database';

/** TypeORM orders migrations by the timestamp that ends their class name. */
const timestampOf = (migration: { name: string }) => Number(/(\d{13})$/.exec(migration.name)![1]);

describe('Migrations', () => {
  let database: TestDatabase;
  const open: DataSource[] = [];
  const connect = async (list: typeof migrations) => {
    const dataSource = await new DataSource({ ...dataSourceOptions(database.url), migrations: list }).initialize();
    open.push(dataSource);
    return dataSource;
  };
  beforeEach(async () => (database = await createTestDatabase({ empty: true })));
  afterEach(async () => {
    await Promise.all(open.splice(0).map((ds) => ds.destroy()));
    await database.drop();
  });

  it('leave the schema exactly as the entities describe it: migration:generate would find nothing to do', async () => {
    const dataSource = await connect(migrations);
    await dataSource.runMigrations();
    const pending = await dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((q) => q.query)).toEqual([]);
  });

  it('give the messages and idempotency keys from before API keys to the client "default"', async () => {
    const before = migrations.filter((m) => timestampOf(m) < timestampOf(ClientTenancy1795860000000));
    const old = await connect(before);
    await old.runMigrations();
    const hash = createHash('sha256').update('hi').digest();
    const [{ id }] = await old.query(
      `INSERT INTO messages (provider, recipient, body, body_hash, send_at, next_attempt_at)
       VALUES ('viber', 'x', 'hi', $1, now(), now()) RETURNING id`,
      [hash],
    );
    await old.query(
      `INSERT INTO idempotency_keys (key, request_hash, status, claim_token, expires_at)
       VALUES ('k-1', $1, 'completed', gen_random_uuid(), now() + interval '1 day')`,
      [hash],
    );

    const current = await connect(migrations);
    await current.runMigrations();
    expect(await current.query('SELECT id, client FROM messages')).toEqual([{ id, client: 'default' }]);
    expect(await current.query('SELECT key, client FROM idempotency_keys')).toEqual([
      { key: 'k-1', client: 'default' },
    ]);

    // Dedup and keys are per client now: another client may hold the same message and the same key.
    await current.query(
      `INSERT INTO messages (client, provider, recipient, body, body_hash, send_at, next_attempt_at)
       VALUES ('billing', 'viber', 'x', 'hi', $1, now(), now())`,
      [hash],
    );
    await current.query(
      `INSERT INTO idempotency_keys (client, key, request_hash, status, claim_token, expires_at)
       VALUES ('billing', 'k-1', $1, 'completed', gen_random_uuid(), now() + interval '1 day')`,
      [hash],
    );
    await current.query(
      `INSERT INTO message_keys (client, provider, recipient, body_hash, message_id) VALUES ('billing', 'viber', 'x', $1, gen_random_uuid())`,
      [hash],
    );
    await expect(
      current.query(
        `INSERT INTO message_keys (client, provider, recipient, body_hash, message_id) VALUES ('default', 'viber', 'x', $1, gen_random_uuid())`,
        [hash],
      ),
    ).rejects.toThrow(/PK_message_keys/);
  });

  it('give every message that dedups its key in message_keys, and none to a cancelled one', async () => {
    const before = migrations.filter((m) => timestampOf(m) < timestampOf(MessageKeys1796400000000));
    const old = await connect(before);
    await old.runMigrations();
    const ids: Record<string, string> = {};
    for (const status of ['pending', 'sent', 'failed', 'cancelled']) {
      const [{ id }] = await old.query(
        `INSERT INTO messages (client, provider, recipient, body, body_hash, status, send_at)
         VALUES ('default', 'viber', $1, 'hi', sha256('hi'), $1, now()) RETURNING id`,
        [status],
      );
      ids[status] = id;
    }

    const current = await connect(migrations);
    await current.runMigrations();
    const keys: { message_id: string; recipient: string }[] = await current.query(
      'SELECT message_id, recipient FROM message_keys ORDER BY recipient',
    );
    expect(keys).toEqual(
      ['failed', 'pending', 'sent'].map((status) => ({ message_id: ids[status], recipient: status })),
    );
    while (
      (await current.query(`SELECT 1 FROM migrations WHERE name = $1`, [MessageKeys1796400000000.name])).length > 0
    )
      await current.undoLastMigration();
    await expect(
      current.query(
        `INSERT INTO messages (client, provider, recipient, body, body_hash, send_at) VALUES ('default', 'viber', 'sent', 'hi', sha256('hi'), now())`,
      ),
    ).rejects.toThrow(/messages_dedup_key/);
  });

  it('undo ClientTenancy cleanly while every message is still the default client’s', async () => {
    const dataSource = await connect(migrations);
    await dataSource.runMigrations();
    while (
      (await dataSource.query(`SELECT 1 FROM migrations WHERE name = $1`, [ClientTenancy1795860000000.name])).length > 0
    ) {
      await dataSource.undoLastMigration();
    }
    const columns = await dataSource.query(
      `SELECT table_name, column_name FROM information_schema.columns WHERE column_name = 'client' ORDER BY table_name`,
    );
    expect(columns).toEqual([]);
  });
});
