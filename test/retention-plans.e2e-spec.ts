import { INGEST_SQL } from '../src/messages/message-ingest';
import { MESSENGER_NAMES } from '../src/providers/messengers';
import { RETENTION_SQL } from '../src/retention/retention.repository';
import { planOf as planFor, readsOfMessages, type PlanNode } from './support/query-plans';
import { ownDatabaseConnection } from './support/test-database';

/**
 * Retention runs beside the dispatcher and the ingest on tables of millions of rows: its statements reach
 * rows through indexes (and ctids), never by reading a table, and the ingest's look-ups of dedup records
 * and keys are index probes per row, whatever the tables hold.
 */
describe('Retention’s plans, and the ingest’s look-ups of dedup records and keys', () => {
  const ROWS = 30_000;
  const db = ownDatabaseConnection();
  const planOf = (sql: string, params: unknown[]) => planFor(db, sql, params);
  const readsOf = (nodes: PlanNode[], table: string) =>
    nodes
      .filter((n) => n['Relation Name'] === table && n['Node Type'] !== 'ModifyTable')
      .map((n) => `${n['Node Type']}${n['Index Name'] ? ` ${n['Index Name']}` : ''}`);

  beforeAll(async () => {
    // Mostly young finished rows, a few expired, and a backlog; records and inbox rows to match.
    await db.query(
      `INSERT INTO messages (provider, recipient, body, body_hash, status, send_at, next_attempt_at, updated_at)
       SELECT (ARRAY['telegram','whatsapp','viber'])[1 + i % 3], (100000000 + i)::text, 'plan ' || i,
              sha256(convert_to('plan ' || i, 'UTF8')), CASE WHEN i % 10 = 0 THEN 'pending' ELSE 'sent' END, now(),
              CASE WHEN i % 10 = 0 THEN now() END, now() - CASE WHEN i % 100 = 1 THEN interval '2 days' ELSE interval '1 minute' END
       FROM generate_series(1, $1::int) AS i`,
      [ROWS],
    );
    await db.query(
      `INSERT INTO message_keys (client, provider, recipient, body_hash, message_id)
       SELECT client, provider, recipient, body_hash, id FROM messages`,
    );
    await db.query(`INSERT INTO message_attempts (message_id, attempt, outcome) SELECT id, 1, 'sent' FROM messages`);
    await db.query(
      `INSERT INTO emulator_inbox (provider, idempotency_key, recipient, body, provider_message_id)
       SELECT provider, id::text, recipient, body, 'p' FROM messages`,
    );
    await db.query(
      `INSERT INTO dedup_records (message_id, send_at, created_at, finished_at, attempts, retries_count, client, provider, recipient, body_hash, status)
       SELECT gen_random_uuid(), now(), now(), now() - i * interval '1 s', 1, 0, 'default', 'viber', (200000000 + i)::text,
              sha256(convert_to('record ' || i, 'UTF8')), 'sent'
       FROM generate_series(1, $1::int) AS i`,
      [ROWS],
    );
    await db.query('ANALYZE');
  });

  it('finds expired messages in messages_finished_idx, removes them by ctid, and their inbox rows by index', async () => {
    const nodes = await planOf(RETENTION_SQL.removeExpired, [86_400, 1000, MESSENGER_NAMES]);
    const reads = readsOfMessages(nodes);
    expect(reads).toContain('Index Scan messages_finished_idx');
    expect(reads).toContain('Tid Scan');
    expect(reads.filter((r) => r.startsWith('Seq Scan'))).toEqual([]);
    const inbox = readsOf(nodes, 'emulator_inbox');
    expect(inbox.length).toBeGreaterThan(0);
    expect(inbox.every((r) => r.includes('emulator_inbox_message_idx'))).toBe(true);
    for (const table of ['message_keys', 'message_attempts']) {
      const byIndex = readsOf(nodes, table);
      expect(byIndex.length).toBeGreaterThan(0);
      expect(byIndex.filter((r) => r.startsWith('Seq Scan'))).toEqual([]);
    }
  });

  it('finds expired dedup records in their time index', async () => {
    const reads = readsOf(await planOf(RETENTION_SQL.removeExpiredRecords, [86_400, 1000]), 'dedup_records');
    expect(reads).toContain('Index Scan dedup_records_finished_idx');
    expect(reads.filter((r) => r.startsWith('Seq Scan'))).toEqual([]);
  });

  it('looks dedup records and keys up by primary key in the ingest statement', async () => {
    const n = 1000;
    const recipients = Array.from({ length: n }, (_, i) => String(300000000 + i));
    const nodes = await planOf(INGEST_SQL.storeNew, [
      recipients.map(() => 'viber'),
      recipients,
      ['a body'],
      [Buffer.alloc(32, 7)],
      [null],
      recipients.map(() => 1),
      ['default'],
      recipients.map(() => null), // sender, per row
      [null], // callback_url, per request
    ]);
    for (const table of ['dedup_records', 'message_keys']) {
      const reads = readsOf(nodes, table);
      expect(reads.length).toBeGreaterThan(0);
      expect(reads.filter((r) => r.startsWith('Seq Scan'))).toEqual([]);
    }
  });
});
