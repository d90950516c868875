import { createHash } from 'node:crypto';
import { loadConfig } from '../src/config/app-config';
import { RetentionService } from '../src/retention/retention.service';
import { aRecipient } from './support/factories';
import type { TestApp } from './support/test-app';
import { createTestApp } from './support/test-app';

const retentionOf = (t: TestApp) => t.app.get(RetentionService);

/** Makes the messages look finished `hoursAgo` hours ago (updated_at is when a finished message finished). */
const finishedHoursAgo = (t: TestApp, ids: string[], hoursAgo: number) =>
  t.sql(`UPDATE messages SET updated_at = now() - make_interval(hours => $2) WHERE id = ANY ($1::uuid[])`, [
    ids,
    hoursAgo,
  ]);

const countOf = async (t: TestApp, sql: string, params?: unknown[]) =>
  Number((await t.sql<{ n: string }>(`SELECT count(*) AS n FROM (${sql}) x`, params))[0].n);

/** One message to a fresh recipient, posted and answered 202; its id. */
const post = async (t: TestApp, body: string, recipient = aRecipient.viber()) =>
  (
    await t.http
      .post('/messages')
      .send({ body, recipients: [recipient] })
      .expect(202)
  ).body.messages[0].id as string;

describe('Retention (MESSAGE_RETENTION, DEDUP_RETENTION)', () => {
  let t: TestApp;
  beforeAll(async () => (t = await createTestApp({ env: { MESSAGE_RETENTION: '1h', RETENTION_PAUSE_MS: '0' } })));
  afterAll(() => t.close());
  beforeEach(async () => {
    await t.reset();
    await t.sql('DELETE FROM dedup_records');
    await t.sql('DELETE FROM emulator_inbox');
  });

  it('removes expired finished messages with their attempts and inbox rows, and nothing else', async () => {
    const sent = await post(t, 'sent long ago');
    const failed = await post(t, 'failed long ago');
    const cancelled = await post(t, 'cancelled long ago');
    await t.http.delete(`/messages/${cancelled}`).expect(200);
    await t.dispatch.dispatchDue();
    await t.sql(`UPDATE messages SET status = 'failed' WHERE id = $1`, [failed]);
    const youngSent = await post(t, 'sent a minute ago');
    await t.dispatch.dispatchDue();
    const pending = await post(t, 'still pending');
    const sending = await post(t, 'in flight');
    await t.sql(`UPDATE messages SET status = 'sending' WHERE id = $1`, [sending]);
    const expired = [sent, failed, cancelled];
    // Even a queued row last touched long ago is the dispatcher's, not retention's.
    await finishedHoursAgo(t, [...expired, pending, sending], 2);
    const all = [...expired, youngSent, pending, sending];
    for (const id of all) {
      await t.sql(
        `INSERT INTO emulator_inbox (provider, idempotency_key, recipient, body, provider_message_id) VALUES ('viber', $1, 'r', 'b', 'p')`,
        [id],
      );
    }
    expect(await countOf(t, 'SELECT 1 FROM message_attempts WHERE message_id = ANY ($1::uuid[])', [expired])).toBe(2);

    const run = await retentionOf(t).run();

    expect(run).toMatchObject({ messages: 3, inbox: 3, recordsKept: 2, recordsRemoved: 0 });
    const left = await t.sql<{ id: string }>('SELECT id FROM messages ORDER BY id');
    expect(left.map((row) => row.id).sort()).toEqual([youngSent, pending, sending].sort());
    expect(await countOf(t, 'SELECT 1 FROM message_attempts WHERE message_id = ANY ($1::uuid[])', [expired])).toBe(0);
    expect(await countOf(t, 'SELECT 1 FROM message_attempts WHERE message_id = $1', [youngSent])).toBe(1);
    const inbox = await t.sql<{ idempotency_key: string }>('SELECT idempotency_key FROM emulator_inbox');
    expect(inbox.map((row) => row.idempotency_key).sort()).toEqual([youngSent, pending, sending].sort());
    // Records only for what dedups: a cancelled message never blocked its text.
    const records = await t.sql<{ message_id: string; status: string }>(
      'SELECT message_id, status FROM dedup_records ORDER BY status',
    );
    expect(records).toEqual([
      { message_id: failed, status: 'failed' },
      { message_id: sent, status: 'sent' },
    ]);
    expect(await retentionOf(t).run()).toMatchObject({ messages: 0, inbox: 0, recordsKept: 0 });
  });

  it('removes delivered and dead callbacks with their message, and keeps a message whose callback is pending', async () => {
    const delivered = await post(t, 'callback delivered');
    const pending = await post(t, 'callback pending');
    await t.dispatch.dispatchDue();
    await finishedHoursAgo(t, [delivered, pending], 2);
    const [event] = await t.sql<{ id: string }>(
      `INSERT INTO callback_events (message_id, client, type, url, payload, state)
       VALUES ($1, 'default', 'message.sent', 'https://example.com/cb', '{}', 'delivered') RETURNING id`,
      [delivered],
    );
    await t.sql(
      `INSERT INTO callback_attempts (event_id, attempt, attempted_at, status_code, latency_ms) VALUES ($1, 1, now(), 200, 5)`,
      [event.id],
    );
    await t.sql(
      `INSERT INTO callback_events (message_id, client, type, url, payload, state)
       VALUES ($1, 'default', 'message.sent', 'https://example.com/cb', '{}', 'pending')`,
      [pending],
    );

    expect(await retentionOf(t).run()).toMatchObject({ messages: 1 });

    expect(await countOf(t, 'SELECT 1 FROM messages WHERE id = $1', [delivered])).toBe(0);
    expect(await countOf(t, 'SELECT 1 FROM callback_events WHERE message_id = $1', [delivered])).toBe(0);
    expect(await countOf(t, 'SELECT 1 FROM callback_attempts WHERE event_id = $1', [event.id])).toBe(0);
    expect(await countOf(t, 'SELECT 1 FROM messages WHERE id = $1', [pending])).toBe(1);
    await t.sql(`UPDATE callback_events SET state = 'dead' WHERE message_id = $1`, [pending]);
    expect(await retentionOf(t).run()).toMatchObject({ messages: 1 });
    expect(await countOf(t, 'SELECT 1 FROM callback_events')).toBe(0);
  });

  it('refuses the same text after its message is gone, with the answer a duplicate gets', async () => {
    const recipient = aRecipient.telegram();
    const body = 'Caf\u00e9 at 8';
    const id = await post(t, body, recipient);
    await t.dispatch.dispatchDue();
    const before = (await t.http.get(`/messages/${id}`).expect(200)).body as Record<string, unknown>;
    await finishedHoursAgo(t, [id], 2);
    await retentionOf(t).run();
    await t.http.get(`/messages/${id}`).expect(404);

    // The same text to a reader (decomposed accent, trailing space): the key, not the bytes, is kept.
    const again = await t.http
      .post('/messages')
      .send({ body: 'Cafe\u0301 at 8 ', recipients: [recipient, aRecipient.viber()] })
      .expect(202);

    const [duplicate, fresh] = again.body.messages as Record<string, unknown>[];
    expect(duplicate).toMatchObject({
      id,
      provider: recipient.provider,
      recipient: before.recipient,
      status: 'sent',
      duplicate: true,
      send_at: before.send_at,
      created_at: before.created_at,
      attempts: 1,
      retries_count: 0,
      next_attempt_at: null,
    });
    expect(Object.keys(duplicate).sort()).toEqual(
      Object.keys({ ...before, duplicate: true })
        .filter((k) => k !== 'body')
        .sort(),
    );
    expect(fresh).toMatchObject({ status: 'pending', duplicate: false });
    // Every recipient a duplicate: 200, as for a message still there.
    await t.http
      .post('/messages')
      .send({ body, recipients: [recipient] })
      .expect(200);
    expect(
      await countOf(t, 'SELECT 1 FROM messages WHERE provider = $1 AND recipient = $2', [
        recipient.provider,
        before.recipient,
      ]),
    ).toBe(0);
  });

  it('keeps no record for a cancelled message: its text may be queued again after it is gone', async () => {
    const recipient = aRecipient.whatsapp();
    const id = await post(t, 'changed my mind', recipient);
    await t.http.delete(`/messages/${id}`).expect(200);
    await finishedHoursAgo(t, [id], 2);
    await retentionOf(t).run();

    const again = await t.http
      .post('/messages')
      .send({ body: 'changed my mind', recipients: [recipient] })
      .expect(202);
    expect(again.body.messages[0]).toMatchObject({ duplicate: false, status: 'pending' });
  });

  it('removes dedup records older than DEDUP_RETENTION, after which the text is new again', async () => {
    const withDedup = await createTestApp({
      database: t.database,
      env: { MESSAGE_RETENTION: '1h', DEDUP_RETENTION: '1d', RETENTION_PAUSE_MS: '0', RETENTION_BATCH_SIZE: '2' },
    });
    try {
      const recipients = [aRecipient.viber(), aRecipient.viber(), aRecipient.viber()];
      const ids = [];
      for (const recipient of recipients) ids.push(await post(t, 'weekly digest', recipient));
      await t.dispatch.dispatchDue();
      await finishedHoursAgo(t, ids, 2);
      await retentionOf(t).run();
      expect(await countOf(t, 'SELECT 1 FROM dedup_records')).toBe(3);
      // Two finished two days ago, one two hours ago.
      await t.sql(
        `UPDATE dedup_records SET finished_at = now() - interval '2 days' WHERE message_id = ANY ($1::uuid[])`,
        [ids.slice(0, 2)],
      );

      const run = await retentionOf(withDedup).run();

      expect(run.recordsRemoved).toBe(2);
      const left = await t.sql<{ message_id: string }>('SELECT message_id FROM dedup_records');
      expect(left).toEqual([{ message_id: ids[2] }]);
      const again = await t.http.post('/messages').send({ body: 'weekly digest', recipients }).expect(202);
      expect(again.body.messages.map((m: { duplicate: boolean }) => m.duplicate)).toEqual([false, false, true]);
    } finally {
      await withDedup.close();
    }
  });

  it('deletes nothing while MESSAGE_RETENTION is unset, however old the rows', async () => {
    const keeping = await createTestApp({ database: t.database });
    try {
      const id = await post(t, 'keep me');
      await t.dispatch.dispatchDue();
      await t.sql(`UPDATE messages SET updated_at = now() - interval '10 years' WHERE id = $1`, [id]);

      expect(retentionOf(keeping).enabled).toBe(false);
      expect(await retentionOf(keeping).run()).toMatchObject({ messages: 0, batches: 0 });
      expect(await countOf(t, 'SELECT 1 FROM messages WHERE id = $1', [id])).toBe(1);
    } finally {
      await keeping.close();
    }
  });

  it('lets two workers remove at once, each row once, without deadlock', async () => {
    const opts = { MESSAGE_RETENTION: '1h', RETENTION_PAUSE_MS: '0', RETENTION_BATCH_SIZE: '100' };
    const one = await createTestApp({ database: t.database, env: opts });
    const two = await createTestApp({ database: t.database, env: opts });
    try {
      const rows = 5000;
      // Half sent, half failed: every one leaves a dedup record, so a row counted twice would show.
      await t.sql(
        `INSERT INTO messages (client, provider, recipient, body, body_hash, status, send_at, updated_at)
         SELECT 'default', 'viber', 'r' || i, 'b', $1, CASE WHEN i % 2 = 0 THEN 'sent' ELSE 'failed' END,
                now() - interval '3 hours', now() - interval '2 hours' - i * interval '1 ms'
         FROM generate_series(1, $2) i`,
        [createHash('sha256').update('b').digest(), rows],
      );
      await t.sql(`INSERT INTO message_attempts (message_id, attempt, outcome) SELECT id, 1, 'sent' FROM messages`);

      const [a, b] = await Promise.all([retentionOf(one).run(), retentionOf(two).run()]);

      expect(a.messages + b.messages).toBe(rows);
      expect(a.recordsKept + b.recordsKept).toBe(rows);
      expect(await countOf(t, 'SELECT 1 FROM messages')).toBe(0);
      expect(await countOf(t, 'SELECT 1 FROM message_attempts')).toBe(0);
      expect(await countOf(t, 'SELECT 1 FROM dedup_records')).toBe(rows);
    } finally {
      await Promise.all([one.close(), two.close()]);
    }
  });

  it('counts what it removed and when it ran, in /metrics', async () => {
    const id = await post(t, 'counted');
    await t.dispatch.dispatchDue();
    await finishedHoursAgo(t, [id], 2);
    const before = await t.http.get('/metrics').expect(200);
    const removedOf = (text: string) =>
      Number(/^retention_rows_removed_total\{table="messages"\} (\d+)$/m.exec(text)![1]);

    await retentionOf(t).run();

    const after = await t.http.get('/metrics').expect(200);
    expect(removedOf(after.text) - removedOf(before.text)).toBe(1);
    const lastRun = Number(/^retention_last_run_timestamp_seconds (\S+)$/m.exec(after.text)![1]);
    expect(lastRun).toBeGreaterThan(Date.now() / 1000 - 600);
  });

  it('runs by itself in a worker, every RETENTION_INTERVAL', async () => {
    const worker = await createTestApp({
      database: t.database,
      env: { APP_ROLE: 'worker', MESSAGE_RETENTION: '1h', RETENTION_INTERVAL: '1s' },
    });
    try {
      const id = await post(t, 'removed by the worker');
      await t.sql(`UPDATE messages SET status = 'sent', next_attempt_at = NULL WHERE id = $1`, [id]);
      await finishedHoursAgo(t, [id], 2);
      const deadline = Date.now() + 60_000;
      while ((await countOf(t, 'SELECT 1 FROM messages WHERE id = $1', [id])) > 0 && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      expect(await countOf(t, 'SELECT 1 FROM messages WHERE id = $1', [id])).toBe(0);
    } finally {
      await worker.close();
    }
  });

  it('refuses a retention setting that is not a duration, at start-up', () => {
    expect(() => loadConfig({ MESSAGE_RETENTION: '30' })).toThrow(
      /MESSAGE_RETENTION="30": must be a whole number and a unit/,
    );
    expect(() => loadConfig({ DEDUP_RETENTION: '0d' })).toThrow(/DEDUP_RETENTION="0d": must be at least 1s/);
  });
});
