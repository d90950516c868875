import { Client } from 'pg';
import { aMessageRequest } from './support/factories';
import {
  expectDatabaseUnavailable,
  expectDatabaseUnavailableError,
  rejectionOf,
  within,
} from './support/database-unavailable';
import { FreezableProxy } from './support/freezable-proxy';
import { waitFor } from './support/service-process';
import type { TestApp } from './support/test-app';
import { createTestApp } from './support/test-app';
import type { TestDatabase } from './support/test-database';
import { createTestDatabase } from './support/test-database';

/** Small bounds keep the spec quick; app-config.spec.ts checks the defaults' arithmetic. */
const QUERY_TIMEOUT_MS = 1_000;
const CONNECT_TIMEOUT_MS = 1_000;
const BOUNDS = {
  DATABASE_QUERY_TIMEOUT_MS: String(QUERY_TIMEOUT_MS),
  DATABASE_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
};
/** A request's bound: it waits for a connection, then for the query that meets the freeze. */
const ANSWER_BOUND_MS = CONNECT_TIMEOUT_MS + QUERY_TIMEOUT_MS;
/** Timing assertions allow this much on top of a bound, for a loaded machine. */
const MARGIN_MS = 3_000;

/** The app on a database of its own, reached through a proxy that can freeze; and a direct line to look with. */
class FrozenApp {
  private closed = false;

  private constructor(
    readonly t: TestApp,
    readonly proxy: FreezableProxy,
    readonly direct: Client,
    private readonly database: TestDatabase,
  ) {}

  static async start(env: Record<string, string> = {}): Promise<FrozenApp> {
    const database = await createTestDatabase();
    const proxy = await FreezableProxy.start(database.url);
    const t = await createTestApp({ database, env: { DATABASE_URL: proxy.url(database.url), ...BOUNDS, ...env } });
    const direct = new Client({ connectionString: database.url });
    await direct.connect();
    return new FrozenApp(t, proxy, direct, database);
  }

  /** Which of `ids` are committed, read past the proxy and whatever state the app's connections are in. */
  async stored(ids: string[]): Promise<string[]> {
    const { rows } = await this.direct.query<{ id: string }>('SELECT id FROM messages WHERE id = ANY($1)', [ids]);
    return rows.map((row) => row.id).sort();
  }

  async post(request = aMessageRequest()): Promise<string> {
    return (await this.t.http.post('/messages').send(request).expect(202)).body.messages[0].id;
  }

  /** Requests side by side, so that the pool holds several connections for the freeze to catch. */
  async warmPool(): Promise<void> {
    await Promise.all([1, 2, 3, 4].map(() => this.t.http.get('/messages').expect(200)));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.t.close();
  }

  /** The proxy goes first: whatever a failed test left hanging on it ends with its connections. */
  async teardown(): Promise<void> {
    await this.proxy.close();
    await this.close();
    await this.direct.end();
    await this.database.drop();
  }
}

/**
 * PostgreSQL stopped (SIGSTOP) or cut off by a partition: its connections stay open and nothing answers,
 * so no error ever comes by itself. Every wait on it has a bound that runs in the client: a request
 * answers 503 DATABASE_UNAVAILABLE within the connect and query bounds, a worker's claim and outcome
 * writes fail in bounded time, and a connection whose query timed out is closed, never reused.
 */
describe('PostgreSQL frozen', () => {
  let app: FrozenApp;
  beforeAll(async () => {
    app = await FrozenApp.start();
  });
  afterAll(() => app.teardown());

  const accepted: string[] = [];

  describe('while it is frozen', () => {
    beforeAll(async () => {
      await app.warmPool();
      accepted.push(await app.post());
      app.proxy.freeze();
    });

    // First, while the pool still has idle connections to claim on.
    it("fails a worker's claim within the bound instead of holding the drain", async () => {
      expectDatabaseUnavailableError(
        await rejectionOf(within(ANSWER_BOUND_MS + MARGIN_MS, app.t.dispatch.dispatchDue())),
      );
    });

    it.each<[string, () => PromiseLike<import('supertest').Response>]>([
      ['POST /messages', () => app.t.http.post('/messages').send(aMessageRequest())],
      [
        'POST /messages with an Idempotency-Key',
        () => app.t.http.post('/messages').set('Idempotency-Key', 'frozen-1').send(aMessageRequest()),
      ],
      ['GET /messages/:id', () => app.t.http.get(`/messages/${accepted[0]}`)],
      ['GET /messages', () => app.t.http.get('/messages')],
    ])('answers %s 503 DATABASE_UNAVAILABLE with Retry-After, within the bound', async (_, send) => {
      expectDatabaseUnavailable(await within(ANSWER_BOUND_MS + MARGIN_MS, send()));
    });

    it('reports not ready within its 1-second check', async () => {
      const res = await within(1_000 + MARGIN_MS, app.t.http.get('/health/ready'));
      expect(res.status).toBe(503);
      expect(res.body.details.database.status).toBe('down');
    });
  });

  describe('once it thaws', () => {
    beforeAll(() => app.proxy.thaw());

    it('serves again, and every message it accepted is stored', async () => {
      const id = await app.post();
      accepted.push(id);
      await app.t.http.get(`/messages/${id}`).expect(200);
      expect(await app.stored(accepted)).toEqual([...accepted].sort());
    });

    it('answers every query with its own result, never a late answer meant for a timed-out one', async () => {
      const tags = Array.from({ length: 30 }, (_, i) => `tag-${i}`);
      const answers = await Promise.all(tags.map((tag) => app.t.dataSource.query('SELECT $1::text AS tag', [tag])));
      expect(answers.map(([row]) => row.tag)).toEqual(tags);
    });
  });

  describe('a freeze in the middle of a transaction', () => {
    afterEach(() => app.proxy.thaw());

    it('ends the transaction with its connection: no later statement runs inside it, uncommitted', async () => {
      // The scrape's transaction: BEGIN, SET LOCAL, then the queue's depth, where the freeze catches it.
      const frozen = app.proxy.freezeOn('FILTER (WHERE next_attempt_at <= now())');
      const scrape = await within(ANSWER_BOUND_MS + MARGIN_MS, app.t.http.get('/metrics'));
      await frozen;
      expect(scrape.status).toBe(200);
      expect(scrape.text).not.toMatch(/^dispatch_queue_messages\{/m);

      app.proxy.thaw();
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push(await app.post());
      expect(await app.stored(ids)).toEqual([...ids].sort());
    });
  });

  describe('a freeze while a worker writes outcomes', () => {
    afterEach(() => app.proxy.thaw());

    /** Four tries, 0.5 + 1 + 2 s apart (DispatchService.record). */
    const RECORD_BOUND_MS = 4 * ANSWER_BOUND_MS + 3_500;

    it('gives up within its tries, and the outcome is written once when the database is back', async () => {
      await app.t.reset();
      const id = await app.post();
      const frozen = app.proxy.freezeOn('INSERT INTO message_attempts');

      // Telegram's drain alone: the others' claims would fail at the first bound and settle the whole call.
      const drain = app.t.dispatch.dispatchDue(['telegram']);
      await frozen;
      expectDatabaseUnavailableError(await rejectionOf(within(RECORD_BOUND_MS + MARGIN_MS, drain)));

      // What the worker sent during the freeze reaches the server once it resumes; the fencing makes the
      // later tries no-ops.
      app.proxy.thaw();
      const row = async () =>
        (await app.direct.query('SELECT status, attempts FROM messages WHERE id = $1', [id])).rows[0];
      await waitFor('the outcome is written', async () => (await row()).status === 'sent', 10_000);
      expect((await row()).attempts).toBe(1);
      const { rows } = await app.direct.query('SELECT outcome FROM message_attempts WHERE message_id = $1', [id]);
      expect(rows).toEqual([{ outcome: 'sent' }]);
      expect(app.t.messengers.telegram.callsFor(id)).toHaveLength(1);
      expect((await app.t.dispatch.dispatchDue()).claimed).toBe(0);
    });
  });

  describe('after a failover: the connections it had stay silent for good', () => {
    it('serves again on new connections: a connection whose query timed out is closed, never reused', async () => {
      const id = await app.post();
      await app.warmPool();
      app.proxy.failOver();

      // Each connection still pooled costs one request a 503 (within the bound) as it is found dead and closed.
      const statuses: number[] = [];
      while (statuses.length <= 10 && statuses.at(-1) !== 200) {
        statuses.push((await within(ANSWER_BOUND_MS + MARGIN_MS, app.t.http.get(`/messages/${id}`))).status);
      }
      expect(statuses.slice(0, -1).every((status) => status === 503)).toBe(true);
      expect(statuses.at(-1)).toBe(200);
      for (let i = 0; i < 5; i++) await app.t.http.get(`/messages/${id}`).expect(200);
    });
  });
});

describe('PostgreSQL frozen under a POST holding an Idempotency-Key', () => {
  // A query bound well above the margin, so that waiting for it twice shows.
  const QUERY_MS = 4_000;
  const CONNECT_MS = 500;
  let app: FrozenApp;
  beforeAll(async () => {
    app = await FrozenApp.start({
      DATABASE_QUERY_TIMEOUT_MS: String(QUERY_MS),
      DATABASE_CONNECT_TIMEOUT_MS: String(CONNECT_MS),
    });
  });
  afterAll(() => app.teardown());

  it('answers 503 within one bound: giving the key back does not wait out a second', async () => {
    await app.warmPool();
    const frozen = app.proxy.freezeOn('INSERT INTO messages (');
    const res = await within(
      CONNECT_MS + QUERY_MS + 1_500,
      app.t.http.post('/messages').set('Idempotency-Key', 'held-1').send(aMessageRequest()),
    );
    await frozen;
    expectDatabaseUnavailable(res);
  });
});

describe('A worker on a frozen PostgreSQL', () => {
  let app: FrozenApp;
  beforeAll(async () => {
    // The sweep once an hour: only the LISTEN wake-ups start drains here.
    app = await FrozenApp.start({ APP_ROLE: 'all', DISPATCH_CRON: '0 0 * * * *' });
  });
  afterAll(() => app.teardown());

  it('notices its LISTEN connection went silent, and listens again on a new one', async () => {
    // The start-up drains done, the LISTEN connection is the only one that may open a connection.
    await app.t.dispatch.dispatchDue();
    const drains = jest.spyOn(app.t.dispatch, 'dispatchDue');
    const accepted = app.proxy.accepted;
    app.proxy.freeze();
    // A check on the connection every query bound fails after one more; the reconnect follows a second later.
    await waitFor(
      'the worker connects again',
      async () => app.proxy.accepted > accepted,
      2 * QUERY_TIMEOUT_MS + 1_000 + MARGIN_MS,
    );

    // The server is gone for good, the connect in progress with it: it fails in its bound, and the next one works.
    app.proxy.failOver();
    await waitFor(
      'the worker listens again (and drains what it may have missed)',
      async () => drains.mock.calls.length > 0,
      CONNECT_TIMEOUT_MS + 2_000 + MARGIN_MS,
    );

    drains.mockClear();
    await app.direct.query(`SELECT pg_notify('messages_due', $1)`, [`viber:${Date.now()}`]);
    await waitFor(
      'a NOTIFY wakes the worker',
      async () => drains.mock.calls.some(([providers]) => providers?.includes('viber') ?? false),
      5_000,
    );
  });
});

describe('Shutting down on a frozen PostgreSQL', () => {
  let app: FrozenApp;
  beforeAll(async () => {
    app = await FrozenApp.start({ APP_ROLE: 'all', DISPATCH_CRON: '0 0 * * * *' });
  });
  afterAll(() => app.teardown());

  it('ends within the bound with a drain in hand: its statements fail rather than hold the stop', async () => {
    await app.warmPool();
    app.proxy.freeze();
    // The stop waits for the drains in hand (DispatchScheduler.beforeApplicationShutdown).
    const drain = rejectionOf(app.t.dispatch.dispatchDue());
    await within(ANSWER_BOUND_MS + MARGIN_MS, app.close());
    expectDatabaseUnavailableError(await drain);
  });
});
