import { randomUUID } from 'node:crypto';
import { Client } from 'pg';
import type { Response } from 'supertest';
import { expectDatabaseUnavailable } from './support/database-unavailable';
import { aMessageRequest } from './support/factories';
import { postMessageIds } from './support/messages';
import { waitFor } from './support/service-process';
import type { TestApp } from './support/test-app';
import { createTestApp } from './support/test-app';
import { TEST_ENV, withAdminClient } from './support/test-database';

/** However the database goes away, an answer comes within this, not after a client's or jest's timeout. */
const PROMPTLY_MS = 3_000;

/**
 * PostgreSQL going away under a running service: the API answers 503 DATABASE_UNAVAILABLE with Retry-After
 * (never a 500 with a stack, never a hang), and serves again as soon as the database is back, without a
 * restart. Only this file's own database is taken away; the server and the other files' databases carry on.
 */
describe('PostgreSQL unavailable', () => {
  let t: TestApp;
  let messageId: string;
  beforeAll(async () => {
    t = await createTestApp();
    [messageId] = await postMessageIds(t);
  });
  afterAll(async () => {
    await allowConnections(true);
    await t.close();
  });

  const admin = <T>(fn: Parameters<typeof withAdminClient<T>>[1]) =>
    withAdminClient(process.env[TEST_ENV.serverUrl]!, fn);
  const allowConnections = (allow: boolean) =>
    admin((client) => client.query(`ALTER DATABASE "${t.database.name}" WITH ALLOW_CONNECTIONS ${allow}`));

  /** Ends every connection to our database but the caller's; returns how many it ended. */
  async function terminateConnections(client: Client): Promise<number> {
    const { rows } = await client.query<{ terminated: boolean }>(
      'SELECT pg_terminate_backend(pid) AS terminated FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [t.database.name],
    );
    expect(rows.every((row) => row.terminated)).toBe(true);
    return rows.length;
  }

  /** Refuses new connections to our database and ends every open one: the app's pool is left with nothing. */
  async function takeDatabaseAway(): Promise<void> {
    // A request first, so that the pool holds a connection for the outage to pull away.
    await t.http.get('/messages').expect(200);
    await allowConnections(false);
    expect(await admin(terminateConnections)).toBeGreaterThan(0);
  }

  /** Sends the request and measures how long the answer took. */
  async function timed(send: () => PromiseLike<Response>): Promise<{ res: Response; ms: number }> {
    const started = Date.now();
    const res = await send();
    return { res, ms: Date.now() - started };
  }

  function expectUnavailable({ res, ms }: { res: Response; ms: number }): void {
    expectDatabaseUnavailable(res);
    expect(ms).toBeLessThan(PROMPTLY_MS);
  }

  const outageKey = `outage-${randomUUID()}`;
  const outageRequest = aMessageRequest();

  describe('when its connections are cut under a running query', () => {
    afterAll(() => allowConnections(true));

    it('answers the request whose query was running 503, promptly', async () => {
      // A second session holds the message's row, so the app's cancel waits inside PostgreSQL.
      const locker = new Client({ connectionString: t.database.url });
      await locker.connect();
      try {
        await locker.query('BEGIN');
        await locker.query('SELECT 1 FROM messages WHERE id = $1 FOR UPDATE', [messageId]);
        const cancel = t.http.delete(`/messages/${messageId}`).then((res) => res);
        await waitFor('the cancel waits for the row lock', async () => {
          const { rows } = await locker.query(
            `SELECT 1 FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'`,
            [t.database.name],
          );
          return rows.length > 0;
        });

        await allowConnections(false);
        const cutAt = Date.now();
        expect(await terminateConnections(locker)).toBeGreaterThan(0);

        expectUnavailable({ res: await cancel, ms: Date.now() - cutAt });
      } finally {
        await locker.end();
      }
    });
  });

  describe('while it is away', () => {
    beforeAll(() => takeDatabaseAway());

    it.each<[string, () => PromiseLike<Response>]>([
      ['POST /messages', () => t.http.post('/messages').send(aMessageRequest())],
      ['GET /messages/:id', () => t.http.get(`/messages/${messageId}`)],
      ['GET /messages', () => t.http.get('/messages')],
      ['GET /messages/:id/attempts', () => t.http.get(`/messages/${messageId}/attempts`)],
      ['DELETE /messages/:id', () => t.http.delete(`/messages/${messageId}`)],
      ['POST /messages/:id/retry', () => t.http.post(`/messages/${messageId}/retry`)],
    ])('answers %s 503 DATABASE_UNAVAILABLE with Retry-After, promptly', async (_, send) => {
      expectUnavailable(await timed(send));
    });

    it('answers a POST with an Idempotency-Key 503 as well', async () => {
      expectUnavailable(
        await timed(() => t.http.post('/messages').set('Idempotency-Key', outageKey).send(outageRequest)),
      );
    });

    it('still refuses an invalid request with 400: validation needs no database', async () => {
      const res = await t.http
        .post('/messages')
        .send({ ...aMessageRequest(), body: '' })
        .expect(400);
      expect(res.body.code).toBe('VALIDATION_FAILED');
    });
  });

  describe('once it is back', () => {
    beforeAll(() => allowConnections(true));

    it('serves again from the same app, without a restart: the pool connects anew', async () => {
      const created = await t.http.post('/messages').send(aMessageRequest()).expect(202);
      await t.http.get(`/messages/${created.body.messages[0].id}`).expect(200);
      await t.http.get(`/messages/${messageId}`).expect(200);
    });

    it('runs the request whose Idempotency-Key met the outage: the key was not left taken', async () => {
      const res = await t.http.post('/messages').set('Idempotency-Key', outageKey).send(outageRequest).expect(202);
      expect(res.headers['idempotency-replay']).toBeUndefined();
      expect(res.body.messages[0]).toMatchObject({ duplicate: false });
      expect((await t.http.get(`/messages/${res.body.messages[0].id}`).expect(200)).body.body).toBe(outageRequest.body);
    });
  });
});
