import 'reflect-metadata';
import type { ClientRequest } from 'node:http';
import { request as httpRequest } from 'node:http';
import { Client } from 'pg';
import { MAX_RECIPIENTS } from '../src/messages/dto/create-message.dto';
import { maximalRequest, probeEvery, sendAtOnce } from './support/burst-traffic';
import { aMessageRequest, aRecipient } from './support/factories';
import { OpenApiDocument } from './support/openapi-document';
import {
  freePort,
  IMAGE_NODE_OPTIONS,
  PROCESS_SPEC_TIMEOUT_MS,
  ServiceProcess,
  waitFor,
} from './support/service-process';
import type { TestApp } from './support/test-app';
import { createTestApp } from './support/test-app';
import type { TestDatabase } from './support/test-database';
import { createTestDatabase, withAdminClient } from './support/test-database';

/**
 * The real service as a process, as the image runs it (its NODE_OPTIONS: a 192 MB heap). It runs
 * from the sources (ts-node), which costs about 23 MB of that heap (60 MB used after start-up, against
 * 37 MB for dist/): the spec gives the service less room than the image does.
 */
describe('The API under the image heap cap', () => {
  let database: TestDatabase;
  let service: ServiceProcess;
  let base: string;
  let exited = false;

  beforeAll(async () => {
    database = await createTestDatabase();
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    service = new ServiceProcess({
      NODE_OPTIONS: IMAGE_NODE_OPTIONS,
      DATABASE_URL: database.url,
      APP_ROLE: 'api',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      API_RATE_LIMIT_PER_SECOND: '0',
    });
    void service.exited.then(() => (exited = true));
    await waitFor(
      'the api listens',
      () =>
        fetch(`${base}/health/live`).then(
          (res) => res.ok,
          () => false,
        ),
      PROCESS_SPEC_TIMEOUT_MS - 10_000,
    );
  }, PROCESS_SPEC_TIMEOUT_MS);

  afterAll(async () => {
    service.kill('SIGKILL');
    await service.exited;
    await database.drop();
  });

  // How fast the probes are answered meanwhile (p99 under 1 s) is a figure of the benchmark (npm run bench,
  // part "overload"): on a loaded machine it measures the machine. Here: every probe is answered.
  it(
    'lives through 50 of the largest requests at once: 202 or 503 OVERLOADED each, every probe answered, nothing accepted lost',
    async () => {
      const bodies = Array.from({ length: 50 }, (_, n) => maximalRequest(n));
      const keys = bodies.map((_, n) => `overload-${n}`);
      const probes = probeEvery(`${base}/health/live`, 50, 2000);

      const answers = await sendAtOnce(Number(new URL(base).port), bodies, keys);
      const latencies = await probes.stop();

      expect(exited).toBe(false);
      const accepted = answers.filter((a) => a.status === 202 || a.status === 200);
      const refused = answers.filter((a) => a.status === 503);
      expect(answers.filter((a) => !accepted.includes(a) && !refused.includes(a))).toEqual([]);
      // More than the default budgets take in at once: some are refused, and some accepted.
      expect(accepted.length).toBeGreaterThan(0);
      expect(refused.length).toBeGreaterThan(0);
      for (const answer of refused) {
        expect(answer.body?.code).toBe('OVERLOADED');
        expect(Number(answer.retryAfter)).toBeGreaterThanOrEqual(1);
      }
      // How many probes fit in the burst measures its length, that is the machine and the code's speed: the
      // count only makes sure the interval's probes ran while the burst did (the first goes before it).
      expect(latencies.length).toBeGreaterThanOrEqual(2);
      expect(latencies.filter((ms) => ms === Infinity)).toEqual([]);

      const ids = accepted.flatMap((a) => a.body!.messages!.map((m) => m.id));
      expect(ids).toHaveLength(accepted.length * MAX_RECIPIENTS);
      const [{ stored }] = await withAdminClient(
        database.url,
        async (client) =>
          (
            await client.query<{ stored: number }>('SELECT count(*)::int AS stored FROM messages WHERE id = ANY($1)', [
              ids,
            ])
          ).rows,
      );
      expect(stored).toBe(ids.length);

      // A refusal took nothing, not even the request's Idempotency-Key: sent again once the burst is over, it runs.
      const again = answers.indexOf(refused[0]);
      const [retried] = await sendAtOnce(Number(new URL(base).port), [bodies[again]], [keys[again]]);
      expect(retried.status).toBe(202);
      expect(exited).toBe(false);
    },
    PROCESS_SPEC_TIMEOUT_MS,
  );
});

const OVERLOADED = {
  statusCode: 503,
  code: 'OVERLOADED',
  message: 'The service is at capacity; try again in 1 s',
};

/** A valid request is answered 503 OVERLOADED with Retry-After; probes and /metrics are answered 200. */
async function expectRefusedWhileProbesAreServed(t: TestApp): Promise<void> {
  const refused = await t.http.post('/messages').send(aMessageRequest()).expect(503);
  expect(refused.body).toEqual(OVERLOADED);
  expect(refused.headers['retry-after']).toBe('1');
  for (const path of ['/health/live', '/health/ready', '/metrics']) await t.http.get(path).expect(200);
}

/** The cheapest request that is refused when the budgets are spent: one unit of work, a tiny body, a 400 if admitted. */
const refusedWhenFull = (t: TestApp) => t.http.post('/messages').send({ body: '', recipients: [] });

/** Starts a POST /messages over a connection of its own; its answer, or the error that ended it. */
function startPost(
  port: number,
  body: string,
  contentLength = Buffer.byteLength(body),
): { req: ClientRequest; answer: Promise<number | string> } {
  const req = httpRequest({
    host: '127.0.0.1',
    port,
    method: 'POST',
    path: '/messages',
    agent: false,
    headers: { 'content-type': 'application/json', 'content-length': contentLength },
  });
  const answer = new Promise<number | string>((resolve) => {
    req.on('response', (res) => res.resume().on('end', () => resolve(res.statusCode!)));
    req.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    req.on('close', () => resolve('closed'));
  });
  req.write(body);
  return { req, answer };
}

const openConnections = (t: TestApp) =>
  new Promise<number>((resolve, reject) =>
    t.app.getHttpServer().getConnections((error, n) => (error ? reject(error) : resolve(n))),
  );

async function listen(t: TestApp): Promise<number> {
  const server = t.app.getHttpServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as { port: number }).port;
}

describe('Admission control', () => {
  describe('by recipients in flight (API_MAX_RECIPIENTS_IN_FLIGHT=1000)', () => {
    let t: TestApp;
    let port: number;
    let blocker: Client;
    beforeAll(async () => {
      t = await createTestApp({ env: { API_MAX_RECIPIENTS_IN_FLIGHT: '1000' } });
      port = await listen(t);
    });
    afterAll(() => t.close());
    beforeEach(async () => {
      blocker = new Client({ connectionString: t.database.url });
      await blocker.connect();
    });
    afterEach(() => blocker.end());

    /**
     * Starts a 1000-recipient request and holds it in the handler: an uncommitted dedup key of one of its
     * rows makes its INSERT wait (ON CONFLICT waits for the other transaction) until `release` rolls it back.
     */
    async function holdAFullRequest() {
      const request = aMessageRequest({ recipients: Array.from({ length: MAX_RECIPIENTS }, () => aRecipient.viber()) });
      const [first] = request.recipients as { provider: string; recipient: string }[];
      await blocker.query('BEGIN');
      await blocker.query(
        `INSERT INTO message_keys (client, provider, recipient, body_hash, message_id)
         VALUES ('default', $1, $2, sha256(convert_to($3, 'UTF8')), gen_random_uuid())`,
        [first.provider, first.recipient, request.body],
      );
      const held = startPost(port, JSON.stringify(request));
      held.req.end();
      await waitFor(
        'the request waits on the uncommitted row',
        async () =>
          (
            await t.sql<{ n: number }>(
              `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`,
            )
          )[0].n > 0,
      );
      return { held, release: () => blocker.query('ROLLBACK') };
    }

    it('answers 503 OVERLOADED with Retry-After while a full budget is in flight, serves probes and /metrics meanwhile, and admits again once it is answered', async () => {
      const { held, release } = await holdAFullRequest();

      await expectRefusedWhileProbesAreServed(t);

      await release();
      expect(await held.answer).toBe(202);
      await t.http.post('/messages').send(aMessageRequest()).expect(202);
    });

    it('keeps the work of a request whose client hung up counted until its handler answers', async () => {
      const { held, release } = await holdAFullRequest();

      const connections = await openConnections(t);
      held.req.destroy();
      await waitFor('the server has seen the connection close', async () => (await openConnections(t)) < connections);
      await refusedWhenFull(t).expect(503);

      await release();
      await waitFor(
        'the abandoned request has answered',
        async () => (await refusedWhenFull(t)).status === 400,
        10_000,
      );
      await t.http.post('/messages').send(aMessageRequest()).expect(202);
    });

    it('is documented: POST /messages declares 503 OVERLOADED, with Retry-After', async () => {
      const body = (await t.http.get('/docs-json').expect(200)).body;
      expect(new OpenApiDocument(body).examples('post', '/messages', 503).map(({ value }) => value)).toContainEqual(
        OVERLOADED,
      );
      expect(body.paths['/messages'].post.responses['503'].headers['Retry-After']).toBeDefined();
    });
  });

  describe('by bytes in flight (API_MAX_BYTES_IN_FLIGHT=1024)', () => {
    let t: TestApp;
    let port: number;
    beforeAll(async () => {
      t = await createTestApp({ env: { API_MAX_BYTES_IN_FLIGHT: '1024' } });
      port = await listen(t);
    });
    afterAll(() => t.close());

    it('refuses a body before reading it while an upload holds the budget, serves probes meanwhile, and admits again once the upload is answered', async () => {
      const request = JSON.stringify(
        aMessageRequest({ recipients: Array.from({ length: 40 }, () => aRecipient.telegram()) }),
      );
      expect(Buffer.byteLength(request)).toBeGreaterThan(1024);
      // Alone, a body larger than the budget is admitted; half of it is sent and the rest held back.
      const upload = startPost(port, request.slice(0, 500), Buffer.byteLength(request));
      try {
        await waitFor(
          'the upload holds the byte budget',
          async () => (await refusedWhenFull(t)).status === 503,
          10_000,
        );
        await expectRefusedWhileProbesAreServed(t);

        upload.req.end(request.slice(500));
        expect(await upload.answer).toBe(202);
        await t.http.post('/messages').send(aMessageRequest()).expect(202);
      } finally {
        upload.req.destroy();
      }
    });
  });
});
