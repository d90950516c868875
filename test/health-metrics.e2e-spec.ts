import { aMessageRequest, aRecipient } from './support/factories';
import { succeed } from './support/scripted-messenger';
import { waitFor } from './support/service-process';
import type { TestApp } from './support/test-app';
import { createTestApp } from './support/test-app';
import { allowConnections, takeDatabaseAway } from './support/test-database';

/** One sample of a Prometheus text exposition: `name{label="value",…} number`. */
interface Sample {
  readonly name: string;
  readonly labels: Record<string, string>;
  readonly value: number;
}

function samples(text: string): Sample[] {
  return text
    .split('\n')
    .filter((line) => line !== '' && !line.startsWith('#'))
    .map((line) => {
      const [, name, labelText = '', value] = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)$/.exec(line)!;
      const labels = Object.fromEntries(
        [...labelText.matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)].map(([, k, v]) => [k, v]),
      );
      return { name, labels, value: Number(value) };
    });
}

/** The value of the one sample with this name and (at least) these labels; undefined if there is none. */
function valueOf(all: Sample[], name: string, labels: Record<string, string> = {}): number | undefined {
  const found = all.filter((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v));
  if (found.length > 1) throw new Error(`${name} ${JSON.stringify(labels)} matches ${found.length} samples`);
  return found[0]?.value;
}

/**
 * /health/live, /health/ready and /metrics of the api. The app runs with APP_ROLE=api (no scheduler), so
 * readiness is the database and the migrations; the tests call dispatchDue() themselves.
 */
describe('Health and metrics', () => {
  let t: TestApp;
  beforeAll(async () => (t = await createTestApp()));
  afterAll(() => t.close());

  const scrape = async () => {
    const res = await t.http.get('/metrics').expect(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain; version=0\.0\.4/);
    return { text: res.text, all: samples(res.text) };
  };

  describe('GET /health/live', () => {
    it('answers 200 { status: "ok" }', async () => {
      const res = await t.http.get('/health/live').expect(200);
      expect(res.body).toEqual({ status: 'ok' });
    });
  });

  describe('GET /health/ready', () => {
    it('answers 200 with the database and the migrations up, and no scheduler check in the api role', async () => {
      const res = await t.http.get('/health/ready').expect(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toMatchObject({
        status: 'ok',
        details: { database: { status: 'up' }, migrations: { status: 'up' } },
      });
      expect(res.body.details).not.toHaveProperty('scheduler');
    });
  });

  describe('X-Request-Id', () => {
    it('is taken from the request when it is a sane id, and sent back', async () => {
      const res = await t.http.get('/health/live').set('X-Request-Id', 'client-id-42').expect(200);
      expect(res.headers['x-request-id']).toBe('client-id-42');
    });

    it.each([
      ['absent', undefined],
      ['with a space', 'two words'],
      ['longer than 128 characters', 'x'.repeat(129)],
    ])('is generated when %s, on errors too', async (_case, header) => {
      const request = t.http.get('/messages/not-a-uuid');
      const res = await (header === undefined ? request : request.set('X-Request-Id', header)).expect(400);
      expect(res.headers['x-request-id']).toMatch(
        /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/,
      );
    });
  });

  describe('GET /metrics', () => {
    it('exposes every metric of the service, in Prometheus text format', async () => {
      const { text } = await scrape();
      for (const name of [
        'dispatch_messages_accepted_total',
        'dispatch_messages_sent_total',
        'dispatch_messages_failed_total',
        'dispatch_messages_retried_total',
        'dispatch_messages_rate_limited_total',
        'dispatch_attempt_duration_seconds',
        'dispatch_tick_claimed_messages',
        'dispatch_last_tick_timestamp_seconds',
        'dispatch_queue_messages',
        'dispatch_queue_due_messages',
        'dispatch_queue_lag_seconds',
        'http_requests_total',
        'http_request_duration_seconds',
        'process_cpu_seconds_total',
        'nodejs_eventloop_lag_seconds',
      ]) {
        expect(text).toContain(`# TYPE ${name} `);
      }
    });

    it('counts accepted, sent, retried and failed messages by messenger, and times each attempt', async () => {
      const { body } = aMessageRequest();
      const before = (await scrape()).all;
      const recipients = [aRecipient.telegram(), aRecipient.telegram(), aRecipient.viber(), aRecipient.whatsapp()];
      await t.http.post('/messages').send({ body, recipients }).expect(202);
      // The same again: duplicates, not accepted twice.
      await t.http.post('/messages').send({ body, recipients }).expect(200);

      // Viber fails transiently once, then sends: the retry may come due within the same drain.
      let viberFailed = false;
      t.messengers.viber.script = (message) =>
        viberFailed
          ? succeed(message, 1)
          : ((viberFailed = true), { outcome: 'retry', code: '503', description: 'scripted outage' });
      t.messengers.whatsapp.script = () => ({
        outcome: 'failed',
        code: '131026',
        description: 'Message Undeliverable',
      });
      try {
        await t.dispatch.dispatchDue();
      } finally {
        t.messengers.viber.script = succeed;
        t.messengers.whatsapp.script = succeed;
      }

      const after = (await scrape()).all;
      const delta = (name: string, labels: Record<string, string>, now = after) =>
        (valueOf(now, name, labels) ?? 0) - (valueOf(before, name, labels) ?? 0);
      expect(delta('dispatch_messages_accepted_total', { provider: 'telegram' })).toBe(2);
      expect(delta('dispatch_messages_accepted_total', { provider: 'viber' })).toBe(1);
      expect(delta('dispatch_messages_accepted_total', { provider: 'whatsapp' })).toBe(1);
      expect(delta('dispatch_messages_sent_total', { provider: 'telegram' })).toBe(2);
      expect(delta('dispatch_messages_retried_total', { provider: 'viber' })).toBe(1);
      expect(delta('dispatch_messages_failed_total', { provider: 'whatsapp' })).toBe(1);
      expect(delta('dispatch_attempt_duration_seconds_count', { provider: 'telegram', outcome: 'sent' })).toBe(2);
      expect(delta('dispatch_attempt_duration_seconds_count', { provider: 'viber', outcome: 'retry' })).toBe(1);
      expect(delta('dispatch_attempt_duration_seconds_count', { provider: 'whatsapp', outcome: 'failed' })).toBe(1);
      expect(
        valueOf(after, 'dispatch_attempt_duration_seconds_bucket', {
          provider: 'telegram',
          outcome: 'sent',
          le: '+Inf',
        }),
      ).toBe(valueOf(after, 'dispatch_attempt_duration_seconds_count', { provider: 'telegram', outcome: 'sent' }));

      // The retry (RETRY_*_DELAY_MS are 1 ms here) is sent by this drain or the next.
      await waitFor('the viber retry is sent', async () => {
        await t.dispatch.dispatchDue();
        const [row] = await t.sql<{ status: string }>(
          `SELECT status FROM messages WHERE body = $1 AND provider = 'viber'`,
          [body],
        );
        return row.status === 'sent';
      });
      const settled = (await scrape()).all;
      expect(delta('dispatch_messages_sent_total', { provider: 'viber' }, settled)).toBe(1);
      expect(delta('dispatch_messages_retried_total', { provider: 'viber' }, settled)).toBe(1);
    });

    it('reports the queue by messenger and status, the due backlog and the age of the oldest due message', async () => {
      const { body } = aMessageRequest();
      const created = await t.http
        .post('/messages')
        .send({
          body,
          recipients: [aRecipient.telegram(), aRecipient.telegram(), aRecipient.telegram(), aRecipient.viber()],
        })
        .expect(202);
      const later = aMessageRequest({ send_at: new Date(Date.now() + 3_600_000).toISOString() });
      await t.http
        .post('/messages')
        .send({ ...later, recipients: [aRecipient.whatsapp()] })
        .expect(202);
      // Arranged: the telegram messages came due 90 s ago, and one viber message is being sent.
      await t.sql(
        `UPDATE messages SET next_attempt_at = now() - interval '90 seconds' WHERE body = $1 AND provider = 'telegram'`,
        [body],
      );
      const viberId = created.body.messages[3].id;
      await t.sql(
        `UPDATE messages SET status = 'sending', attempts = 1, locked_until = now() + interval '1 minute', next_attempt_at = now() + interval '1 minute' WHERE id = $1`,
        [viberId],
      );

      let { all } = await scrape();
      expect(valueOf(all, 'dispatch_queue_messages', { provider: 'telegram', status: 'pending' })).toBe(3);
      expect(valueOf(all, 'dispatch_queue_messages', { provider: 'telegram', status: 'sending' })).toBe(0);
      expect(valueOf(all, 'dispatch_queue_messages', { provider: 'viber', status: 'sending' })).toBe(1);
      expect(valueOf(all, 'dispatch_queue_messages', { provider: 'whatsapp', status: 'pending' })).toBe(1);
      expect(valueOf(all, 'dispatch_queue_due_messages', { provider: 'telegram' })).toBe(3);
      // Scheduled for later, or held under a lease: not due.
      expect(valueOf(all, 'dispatch_queue_due_messages', { provider: 'whatsapp' })).toBe(0);
      expect(valueOf(all, 'dispatch_queue_due_messages', { provider: 'viber' })).toBe(0);
      expect(valueOf(all, 'dispatch_queue_lag_seconds', { provider: 'telegram' })).toBeGreaterThanOrEqual(90);
      expect(valueOf(all, 'dispatch_queue_lag_seconds', { provider: 'telegram' })).toBeLessThan(120);
      expect(valueOf(all, 'dispatch_queue_lag_seconds', { provider: 'whatsapp' })).toBe(0);

      // Its lease runs out: the viber message is due again (a claim would take it back).
      await t.sql(
        `UPDATE messages SET locked_until = now() - interval '5 seconds', next_attempt_at = now() - interval '5 seconds' WHERE id = $1`,
        [viberId],
      );
      ({ all } = await scrape());
      expect(valueOf(all, 'dispatch_queue_due_messages', { provider: 'viber' })).toBe(1);
      expect(valueOf(all, 'dispatch_queue_lag_seconds', { provider: 'viber' })).toBeGreaterThanOrEqual(5);

      await t.dispatch.dispatchDue();
      ({ all } = await scrape());
      expect(valueOf(all, 'dispatch_queue_messages', { provider: 'telegram', status: 'pending' })).toBe(0);
      expect(valueOf(all, 'dispatch_queue_messages', { provider: 'viber', status: 'sending' })).toBe(0);
      expect(valueOf(all, 'dispatch_queue_lag_seconds', { provider: 'telegram' })).toBe(0);
      expect(valueOf(all, 'dispatch_queue_messages', { provider: 'whatsapp', status: 'pending' })).toBe(1);
    });

    it('counts HTTP requests by route pattern and status, never by raw URL', async () => {
      const route = { method: 'GET', route: '/messages/:id', status: '404' };
      const before = valueOf((await scrape()).all, 'http_requests_total', route) ?? 0;
      const ids = ['00000000-0000-4000-8000-000000000001', '00000000-0000-4000-8000-000000000002'];
      for (const id of ids) await t.http.get(`/messages/${id}`).expect(404);
      await t.http.get('/no/such/route').expect(404);

      const { text, all } = await scrape();
      expect(valueOf(all, 'http_requests_total', route)).toBe(before + 2);
      expect(
        valueOf(all, 'http_requests_total', { method: 'GET', route: 'unmatched', status: '404' }),
      ).toBeGreaterThanOrEqual(1);
      expect(
        valueOf(all, 'http_request_duration_seconds_count', { method: 'GET', route: '/messages/:id' }),
      ).toBeGreaterThanOrEqual(2);
      for (const raw of [...ids, '/no/such/route']) expect(text).not.toContain(raw);
    });
  });

  describe('while PostgreSQL refuses connections', () => {
    beforeAll(() => takeDatabaseAway(t.database));
    afterAll(() => allowConnections(t.database));

    it('/health/ready answers 503 in JSON, promptly, naming the database as down', async () => {
      const started = Date.now();
      const res = await t.http.get('/health/ready').expect(503);
      expect(Date.now() - started).toBeLessThan(3_000);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toMatchObject({ status: 'error', error: { database: { status: 'down' } } });
    });

    it('/health/live still answers 200: an outage is no reason to restart the process', async () => {
      await t.http.get('/health/live').expect(200);
    });

    it('/metrics still answers, without the queue gauges it cannot read', async () => {
      const { text } = await scrape();
      expect(text).toContain('dispatch_messages_sent_total{provider="telegram"}');
      expect(text).not.toContain('dispatch_queue_messages{');
    });

    it('/health/ready is 200 again once the database is back, without a restart', async () => {
      await allowConnections(t.database);
      await waitFor('ready again', async () => (await t.http.get('/health/ready')).status === 200);
    });
  });
});
