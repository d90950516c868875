import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import type { MigrationInterface } from 'typeorm';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '../src/database/data-source-options';
import { migrations } from '../src/database/migrations';
import {
  CANONICAL_BODY_KEYS_SQL as SQL,
  CanonicalBodyKeys1795890000000,
} from '../src/database/migrations/1795890000000-CanonicalBodyKeys';
import { bodyDedupKey } from '../src/messages/canonical-body';
import { planOf, readsOfMessages } from './support/query-plans';
import { createTestApp } from './support/test-app';
import type { TestDatabase } from './support/test-database';
import { createTestDatabase, ownDatabaseConnection } from './support/test-database';

const rawKey = (body: string) => createHash('sha256').update(body, 'utf8').digest();
const hex = (key: Buffer) => key.toString('hex');

/** The migration as shipped, with batches of this many rows. */
const inBatchesOf = (size: number) =>
  class extends CanonicalBodyKeys1795890000000 {
    batchSize = size;
  };
const before = migrations.slice(0, migrations.indexOf(CanonicalBodyKeys1795890000000));
/** Run after it, as an upgrade runs them (MessageKeys copies the keys it leaves). */
const after = migrations.slice(migrations.indexOf(CanonicalBodyKeys1795890000000) + 1);

interface Seed {
  readonly label: string;
  readonly recipient: string;
  readonly body: string;
  readonly client?: string;
  readonly status?: string;
}

/** Oldest first; a pair shares a recipient. All on Viber, the client "default" unless said. */
const SEEDS: readonly Seed[] = [
  { label: 'nfc-older', recipient: 'pair-nfc', body: 'caf\u00e9' },
  { label: 'bom', recipient: 'alone-bom', body: '\ufeffhello' },
  { label: 'crlf-older', recipient: 'pair-both', body: 'Hi\r\nthere' },
  { label: 'crlf-before-lf', recipient: 'pair-lf', body: 'Hi\r\nthere' },
  { label: 'nfd-newer', recipient: 'pair-nfc', body: 'cafe\u0301' },
  { label: 'zwsp', recipient: 'alone-zwsp', body: 'hel\u200blo' },
  { label: 'trailing-newer', recipient: 'pair-both', body: 'Hi\nthere \n' },
  { label: 'lf-newer', recipient: 'pair-lf', body: 'Hi\nthere' },
  { label: 'other-client', recipient: 'pair-nfc', body: 'cafe\u0301', client: 'billing' },
  { label: 'cancelled', recipient: 'pair-cancelled', body: 'bye\r\n', status: 'cancelled' },
  { label: 'after-cancelled', recipient: 'pair-cancelled', body: 'bye\n' },
  { label: 'canonical', recipient: 'alone-plain', body: 'plain text' },
];

describe('Migration CanonicalBodyKeys', () => {
  let database: TestDatabase;
  const open: Array<{ destroy(): Promise<unknown> }> = [];
  const connect = async (list: (new () => MigrationInterface)[]) => {
    const dataSource = await new DataSource({ ...dataSourceOptions(database.url), migrations: list }).initialize();
    open.push(dataSource);
    return dataSource;
  };
  const client = async () => {
    const connection = new Client({ connectionString: database.url });
    await connection.connect();
    open.push({ destroy: () => connection.end() });
    return connection;
  };
  beforeEach(async () => (database = await createTestDatabase({ empty: true })));
  afterEach(async () => {
    await Promise.all(open.splice(0).map((o) => o.destroy()));
    await database.drop();
  });

  /** A database at the migration before, holding the seeds with the keys that version gave them. */
  const oldDatabase = async (seeds: readonly Seed[]) => {
    const old = await connect(before);
    await old.runMigrations();
    const ids: Record<string, string> = {};
    for (const [age, seed] of seeds.entries()) {
      const [{ id }] = await old.query(
        `INSERT INTO messages (client, provider, recipient, body, body_hash, status, send_at, created_at)
         VALUES ($1, 'viber', $2, $3, $4, $5, now(), now() - interval '1 hour' + $6 * interval '1 second') RETURNING id`,
        [seed.client ?? 'default', seed.recipient, seed.body, rawKey(seed.body), seed.status ?? 'sent', age],
      );
      ids[seed.label] = id;
    }
    return ids;
  };
  const keysOf = async (dataSource: DataSource, ids: Record<string, string>) => {
    const rows: { id: string; body_hash: Buffer }[] = await dataSource.query('SELECT id, body_hash FROM messages');
    const byId = new Map(rows.map((row) => [row.id, hex(row.body_hash)]));
    return Object.fromEntries(Object.entries(ids).map(([label, id]) => [label, byId.get(id)]));
  };
  /** Two rows a batch by default: colliding rows land in different batches. */
  const migrate = async (batchSize = 2) =>
    (await connect([...before, inBatchesOf(batchSize), ...after])).runMigrations();
  /** Resolves once some backend of the test database waits for a lock, which the test holds. */
  const someoneWaitsForALock = async (observer: Client) => {
    for (let poll = 0; poll < 1500; poll++) {
      const { rows } = await observer.query(
        `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
      );
      if (rows.length > 0) return;
      await sleep(20);
    }
    throw new Error('nobody waited for the lock within 30 s');
  };

  it.each([2, 1000])(
    'gives each row the key of its canonical form, the older of two that now read alike keeping the slot (batches of %i)',
    async (batchSize) => {
      const ids = await oldDatabase(SEEDS);

      await migrate(batchSize);

      const current = await connect(migrations);
      expect(await keysOf(current, ids)).toEqual({
        // A body already canonical holds its slot from the start: its old key is its canonical key.
        'nfc-older': hex(bodyDedupKey('caf\u00e9')),
        'nfd-newer': hex(rawKey('cafe\u0301')),
        // Neither was canonical: the older claimed the slot, the newer kept its old key.
        'crlf-older': hex(bodyDedupKey('Hi\nthere')),
        'trailing-newer': hex(rawKey('Hi\nthere \n')),
        // The newer one's body was canonical, so it held the slot already; the older keeps its old key.
        'crlf-before-lf': hex(rawKey('Hi\r\nthere')),
        'lf-newer': hex(rawKey('Hi\nthere')),
        bom: hex(bodyDedupKey('hello')),
        zwsp: hex(bodyDedupKey('hello')),
        'other-client': hex(bodyDedupKey('caf\u00e9')),
        // A cancelled row is outside dedup: both take the key.
        cancelled: hex(bodyDedupKey('bye')),
        'after-cancelled': hex(bodyDedupKey('bye')),
        canonical: hex(rawKey('plain text')),
      });
      const bodies: { id: string; body: string }[] = await current.query('SELECT id, body FROM messages');
      expect(new Map(bodies.map((row) => [row.id, row.body]))).toEqual(
        new Map(SEEDS.map((seed) => [ids[seed.label], seed.body])),
      );
    },
  );

  it('leaves the API treating a new variant as a duplicate of the row that holds the slot', async () => {
    const ids = await oldDatabase(SEEDS);
    await migrate();
    const t = await createTestApp({ database });
    open.push({ destroy: () => t.close() });

    const duplicateOf = async (recipient: string, body: string) => {
      const res = await t.http
        .post('/messages')
        .send({ body, recipients: [{ provider: 'viber', recipient }] })
        .expect(200);
      expect(res.body.messages[0].duplicate).toBe(true);
      return res.body.messages[0].id;
    };
    expect(await duplicateOf('pair-nfc', 'cafe\u0301\n')).toBe(ids['nfc-older']);
    expect(await duplicateOf('pair-both', 'Hi \r\nthere')).toBe(ids['crlf-older']);
    expect(await duplicateOf('pair-lf', 'Hi\rthere')).toBe(ids['lf-newer']);
    expect(await duplicateOf('alone-bom', 'hello')).toBe(ids.bom);
  });

  it('keeps a row its old key when a process of the old version inserts the slot’s holder meanwhile', async () => {
    const ids = await oldDatabase([{ label: 'crlf', recipient: 'race', body: 'hey\r\n' }]);
    // An API process of the old version, its insert of the canonical body not yet committed.
    const oldApi = await client();
    await oldApi.query('BEGIN');
    const [{ id: inserted }] = (
      await oldApi.query(
        `INSERT INTO messages (client, provider, recipient, body, body_hash, status, send_at)
         VALUES ('default', 'viber', 'race', 'hey', $1, 'pending', now()) RETURNING id`,
        [rawKey('hey')],
      )
    ).rows;

    const migration = migrate();
    await someoneWaitsForALock(await client());
    await oldApi.query('COMMIT');
    await migration;

    const current = await connect(migrations);
    expect(await keysOf(current, { ...ids, inserted })).toEqual({
      crlf: hex(rawKey('hey\r\n')),
      inserted: hex(rawKey('hey')),
    });
  });

  it('re-keys a row a worker holds once the worker lets go, committing the rest of its batch meanwhile', async () => {
    const ids = await oldDatabase([
      { label: 'held', recipient: 'held', body: 'yo\r\n' },
      { label: 'free', recipient: 'free', body: 'yo\r\n' },
    ]);
    const worker = await client();
    await worker.query('BEGIN');
    await worker.query('SELECT 1 FROM messages WHERE id = $1 FOR UPDATE', [ids.held]);

    const migration = migrate();
    const observer = await client();
    await someoneWaitsForALock(observer);
    const { rows } = await observer.query('SELECT body_hash FROM messages WHERE id = $1', [ids.free]);
    expect(hex(rows[0].body_hash)).toBe(hex(bodyDedupKey('yo')));
    await worker.query('COMMIT');
    await migration;

    const current = await connect(migrations);
    expect(await keysOf(current, ids)).toEqual({ held: hex(bodyDedupKey('yo')), free: hex(bodyDedupKey('yo')) });
  });

  it('undoes to the sha256 of each body’s bytes', async () => {
    const ids = await oldDatabase(SEEDS);
    await migrate();
    const current = await connect(migrations);

    for (let i = 0; i <= after.length; i++) await current.undoLastMigration();

    expect(await keysOf(current, ids)).toEqual(
      Object.fromEntries(SEEDS.map((seed) => [seed.label, hex(rawKey(seed.body))])),
    );
  });
});

/**
 * The migration reads the whole table and writes a part of it, batch by batch: each batch must reach its
 * rows through an index, never by reading the table, or the run grows with the square of its size.
 * PostgreSQL estimates the keyset's row comparison from its first column alone (one row, when one client
 * holds most rows), so the plans are checked on such a table.
 */
describe('Migration CanonicalBodyKeys’s plans, on an analysed table mostly of one client', () => {
  const ROWS = 30_000;
  const db = ownDatabaseConnection();
  beforeAll(async () => {
    // The index as it was when this migration ran (MessageKeys moved the key out of messages later).
    await db.query(
      `CREATE UNIQUE INDEX messages_dedup_key ON messages (client, provider, recipient, body_hash) WHERE status <> 'cancelled'`,
    );
    await db.query(
      `INSERT INTO messages (client, provider, recipient, body, body_hash, status, send_at, created_at)
       SELECT CASE WHEN i % 100 = 0 THEN 'billing' ELSE 'default' END, 'viber', 'r' || i, 'plan ' || i || E'\n',
              sha256(convert_to('plan ' || i || E'\n', 'UTF8')), 'sent', now(), now() - i * interval '1 second'
       FROM generate_series(1, $1::int) AS i`,
      [ROWS],
    );
    await db.query('ANALYZE messages');
  });

  const readsOf = async (sql: string, params: unknown[]) => readsOfMessages(await planOf(db, sql, params));
  /** The cursor after the row that many rows into the migration's order. */
  const cursorAt = async (offset: number) =>
    (
      await db.query(
        `SELECT client, created_at::text AS at, id FROM messages ORDER BY client, created_at, id OFFSET $1 LIMIT 1`,
        [offset],
      )
    ).rows[0];

  it.each([
    ['its start', 0],
    ['its middle', ROWS / 2],
    ['the last client’s end', ROWS - 5],
  ])('reads a batch at %s along messages_created_idx', async (_, offset) => {
    const batch = 1000;
    expect(await readsOf(SQL.firstBatch, [batch])).toEqual(['Index Scan messages_created_idx']);
    const { client, at, id } = await cursorAt(offset);
    expect(await readsOf(SQL.nextBatch, [batch, client, at, id])).toEqual(['Index Scan messages_created_idx']);
  });

  it('re-keys a batch through the primary key, the dedup index and ctid', async () => {
    const { rows } = await db.query(`SELECT id, body FROM messages ORDER BY created_at LIMIT 1000`);
    const reads = await readsOf(SQL.rekey, [rows.map((r) => r.id), rows.map((r) => bodyDedupKey(r.body))]);
    expect(reads.sort()).toEqual([
      'Index Only Scan messages_dedup_key',
      'Index Scan PK_18325f38ae6de43878487eff986',
      'Tid Scan',
    ]);
  });
});
