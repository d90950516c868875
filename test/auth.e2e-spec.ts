import { randomUUID } from 'node:crypto';
import { aMessageRequest, aRecipient } from './support/factories';
import { PROCESS_SPEC_TIMEOUT_MS, ServiceProcess, waitFor } from './support/service-process';
import type { TestApp } from './support/test-app';
import { createTestApp } from './support/test-app';

/**
 * Who may do what: API keys, the client each key stands for, and the limits every client lives under.
 * Each key is a client; a client sees only its own messages, and another client's message is answered
 * exactly as one that does not exist.
 */

const KEYS = { alpha: 'alpha-secret-0123456789abcdef', beta: 'beta-secret-0123456789abcdef' } as const;
const API_KEYS = Object.entries(KEYS)
  .map(([client, secret]) => `${client}:${secret}`)
  .join(',');
const as = (client: keyof typeof KEYS) => ({ Authorization: `Bearer ${KEYS[client]}` });

interface Created {
  messages: Array<{ id: string; duplicate: boolean; status: string }>;
}

describe('Who may do what', () => {
  let t: TestApp;
  beforeAll(async () => (t = await createTestApp({ env: { API_KEYS } })));
  afterAll(() => t.close());

  /** Queues one message for `client` and returns its id. */
  async function aMessageOf(client: keyof typeof KEYS, request = aMessageRequest()): Promise<string> {
    const res = await t.http.post('/messages').set(as(client)).send(request).expect(202);
    return (res.body as Created).messages[0].id;
  }

  describe('without a valid API key', () => {
    it.each([
      [
        'no Authorization header',
        undefined,
        'The Authorization header is missing: send "Authorization: Bearer <API key>"',
      ],
      [
        'a wrong key',
        `Bearer ${KEYS.alpha.replace('alpha', 'gamma')}`,
        'The Authorization header is not a valid API key',
      ],
      ['a key without the Bearer scheme', KEYS.alpha, 'The Authorization header must be "Bearer <API key>"'],
      [
        'Basic credentials',
        `Basic ${Buffer.from(`alpha:${KEYS.alpha}`).toString('base64')}`,
        'The Authorization header must be "Bearer <API key>"',
      ],
      ['the scheme with no key', 'Bearer ', 'The Authorization header must be "Bearer <API key>"'],
      ['the client name instead of its key', 'Bearer alpha', 'The Authorization header is not a valid API key'],
    ])('%s is answered 401 with the JSON error and WWW-Authenticate: Bearer', async (_, header, message) => {
      const req = t.http.get('/messages');
      if (header !== undefined) req.set('Authorization', header);
      const res = await req.expect(401);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.headers['www-authenticate']).toMatch(/^Bearer\b/);
      expect(res.body).toEqual({
        statusCode: 401,
        code: 'UNAUTHENTICATED',
        message,
        errors: [{ field: 'Authorization', reason: message }],
      });
    });

    it('is refused by every endpoint of the API, and stores nothing', async () => {
      const id = await aMessageOf('alpha');
      const before = await t.sql('SELECT id, status, updated_at FROM messages ORDER BY id');
      const calls = {
        'POST /messages': () => t.http.post('/messages').send(aMessageRequest()),
        'GET /messages': () => t.http.get('/messages'),
        'GET /messages/:id': () => t.http.get(`/messages/${id}`),
        'GET /messages/:id/attempts': () => t.http.get(`/messages/${id}/attempts`),
        'POST /messages/:id/retry': () => t.http.post(`/messages/${id}/retry`),
        'DELETE /messages/:id': () => t.http.delete(`/messages/${id}`),
        'GET /emulators/:provider/inbox': () => t.http.get('/emulators/telegram/inbox'),
      };
      for (const [endpoint, call] of Object.entries(calls)) {
        const res = await call().set('Authorization', 'Bearer not-a-configured-key');
        expect([endpoint, res.status, res.body.code]).toEqual([endpoint, 401, 'UNAUTHENTICATED']);
      }
      expect(await t.sql('SELECT id, status, updated_at FROM messages ORDER BY id')).toEqual(before);
    });

    it('still gets the probes, the metrics and the OpenAPI UI', async () => {
      for (const path of ['/health/live', '/health/ready', '/metrics', '/docs', '/docs-json']) {
        const res = await t.http.get(path);
        expect([path, res.status]).toEqual([path, 200]);
      }
    });

    it('is refused before validation: a bad body without a key is a 401, not a 400', async () => {
      await t.http.post('/messages').send({ body: 42 }).expect(401);
    });
  });

  describe('with a valid key', () => {
    it('acts as the key’s client: the message is stored as that client’s', async () => {
      const id = await aMessageOf('beta');
      expect(await t.sql('SELECT client FROM messages WHERE id = $1', [id])).toEqual([{ client: 'beta' }]);
    });
  });

  describe('a client sees only its own messages', () => {
    /** The answer to an id that exists nowhere, with that id swapped for `id`: what "not found" looks like. */
    async function notFoundAnswerFor(method: 'get' | 'post' | 'delete', path: (id: string) => string, id: string) {
      const unknown = randomUUID();
      const res = await t.http[method](path(unknown)).set(as('beta')).expect(404);
      return JSON.parse(JSON.stringify(res.body).replaceAll(unknown, id)) as unknown;
    }

    it.each([
      ['GET /messages/:id', 'get', (id: string) => `/messages/${id}`],
      ['GET /messages/:id/attempts', 'get', (id: string) => `/messages/${id}/attempts`],
      ['DELETE /messages/:id', 'delete', (id: string) => `/messages/${id}`],
      ['POST /messages/:id/retry', 'post', (id: string) => `/messages/${id}/retry`],
    ] as const)(
      '%s of another client’s message is a 404, word for word as for an id that does not exist',
      async (_, method, path) => {
        const id = await aMessageOf('alpha');
        const res = await t.http[method](path(id)).set(as('beta')).expect(404);
        expect(res.body).toEqual(await notFoundAnswerFor(method, path, id));
        expect(res.body.code).toBe('MESSAGE_NOT_FOUND');
      },
    );

    it('cannot cancel another client’s message: it stays pending, and its owner still can', async () => {
      const id = await aMessageOf('alpha');
      await t.http.delete(`/messages/${id}`).set(as('beta')).expect(404);
      expect(await t.sql('SELECT status FROM messages WHERE id = $1', [id])).toEqual([{ status: 'pending' }]);
      await t.http.delete(`/messages/${id}`).set(as('alpha')).expect(200);
    });

    it('cannot retry another client’s failed message: it stays failed, and its owner still can', async () => {
      const id = await aMessageOf('alpha');
      await t.sql(`UPDATE messages SET status = 'failed', next_attempt_at = NULL WHERE id = $1`, [id]);
      await t.http.post(`/messages/${id}/retry`).set(as('beta')).expect(404);
      expect(await t.sql('SELECT status FROM messages WHERE id = $1', [id])).toEqual([{ status: 'failed' }]);
      await t.http.post(`/messages/${id}/retry`).set(as('alpha')).expect(202);
    });

    it('lists only its own messages, whatever the filters', async () => {
      const recipient = aRecipient.telegram();
      const alphas = [
        await aMessageOf('alpha', aMessageRequest({ recipients: [recipient] })),
        await aMessageOf('alpha'),
      ];
      const beta = await aMessageOf('beta', aMessageRequest({ recipients: [recipient] }));

      const listed = async (client: keyof typeof KEYS, query: string) =>
        (
          (await t.http.get(`/messages?limit=100${query}`).set(as(client)).expect(200)).body.items as Array<{
            id: string;
          }>
        ).map((m) => m.id);
      const [alphaAll, betaAll] = [await listed('alpha', ''), await listed('beta', '')];
      expect(alphaAll).toEqual(expect.arrayContaining(alphas));
      expect(alphaAll).not.toContain(beta);
      expect(betaAll).toContain(beta);
      for (const id of alphas) expect(betaAll).not.toContain(id);
      expect(await listed('beta', `&provider=telegram&recipient=${recipient.recipient}`)).toEqual([beta]);
    });

    it('cannot page from another client’s message: its id is an unknown cursor', async () => {
      const id = await aMessageOf('alpha');
      const res = await t.http.get(`/messages?cursor=${id}`).set(as('beta')).expect(400);
      expect(res.body).toMatchObject({ code: 'UNKNOWN_CURSOR', errors: [{ field: 'cursor' }] });
      await t.http.get(`/messages?cursor=${id}`).set(as('alpha')).expect(200);
    });
  });

  describe('deduplication is per client', () => {
    it('queues the same text to the same recipient once for each client, and a duplicate answer is the caller’s own message', async () => {
      const request = aMessageRequest();
      const alpha = await aMessageOf('alpha', request);
      const beta = await aMessageOf('beta', request);
      expect(beta).not.toBe(alpha);

      const again = await t.http.post('/messages').set(as('beta')).send(request).expect(200);
      expect((again.body as Created).messages).toEqual([expect.objectContaining({ id: beta, duplicate: true })]);
      expect(await t.sql('SELECT client FROM messages WHERE body = $1 ORDER BY client', [request.body])).toEqual([
        { client: 'alpha' },
        { client: 'beta' },
      ]);
    });

    it('holds when both clients send the same text at the same moment', async () => {
      const request = aMessageRequest({ recipients: [aRecipient.viber(), aRecipient.whatsapp()] });
      const answers = await Promise.all(
        (['alpha', 'beta', 'alpha', 'beta'] as const).map((client) =>
          t.http.post('/messages').set(as(client)).send(request),
        ),
      );
      expect(answers.map((res) => res.status).sort()).toEqual([200, 200, 202, 202]);
      const rows = await t.sql<{ client: string; n: number }>(
        'SELECT client, count(*)::int AS n FROM messages WHERE body = $1 GROUP BY client ORDER BY client',
        [request.body],
      );
      expect(rows).toEqual([
        { client: 'alpha', n: 2 },
        { client: 'beta', n: 2 },
      ]);
    });
  });

  describe('idempotency keys are per client', () => {
    it('lets two clients use the same key for different requests, and replays each its own answer', async () => {
      const key = randomUUID();
      const [alphaRequest, betaRequest] = [aMessageRequest(), aMessageRequest()];
      const alpha = await t.http
        .post('/messages')
        .set(as('alpha'))
        .set('Idempotency-Key', key)
        .send(alphaRequest)
        .expect(202);
      const beta = await t.http
        .post('/messages')
        .set(as('beta'))
        .set('Idempotency-Key', key)
        .send(betaRequest)
        .expect(202);
      expect(beta.body).not.toEqual(alpha.body);

      const replay = await t.http
        .post('/messages')
        .set(as('beta'))
        .set('Idempotency-Key', key)
        .send(betaRequest)
        .expect(202);
      expect(replay.headers['idempotency-replay']).toBe('true');
      expect(replay.body).toEqual(beta.body);
      // The same key with the other client's request is still a reuse, within one client.
      await t.http.post('/messages').set(as('alpha')).set('Idempotency-Key', key).send(betaRequest).expect(422);
      expect(await t.sql('SELECT client FROM idempotency_keys WHERE key = $1 ORDER BY client', [key])).toEqual([
        { client: 'alpha' },
        { client: 'beta' },
      ]);
    });
  });

  describe('request body limit', () => {
    it('answers a body over API_BODY_LIMIT_BYTES (1 MiB by default) 413, with the JSON error naming the limit', async () => {
      const request = aMessageRequest({ body: 'x'.repeat(1024 * 1024) });
      const res = await t.http.post('/messages').set(as('alpha')).send(request).expect(413);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(res.body).toEqual({
        statusCode: 413,
        code: 'PAYLOAD_TOO_LARGE',
        message: 'The request body is larger than the limit of 1048576 bytes',
      });
      expect(await t.sql('SELECT id FROM messages WHERE length(body) > 100000')).toEqual([]);
    });

    it('takes the largest request the rules allow: 1000 recipients with 64-character ids and 7000 emoji', async () => {
      const recipients = Array.from({ length: 1000 }, (_, i) => ({
        provider: 'viber',
        recipient: `${i}`.padStart(64, 'v'),
      }));
      const res = await t.http
        .post('/messages')
        .set(as('alpha'))
        .send({ body: '🚀'.repeat(7000), recipients })
        .expect(202);
      expect((res.body as Created).messages).toHaveLength(1000);
    });
  });

  describe('security headers', () => {
    it.each([
      ['a success', (http: TestApp['http']) => http.get('/messages').set(as('alpha')), 200],
      ['a refusal', (http: TestApp['http']) => http.get('/messages'), 401],
      ['the OpenAPI UI', (http: TestApp['http']) => http.get('/docs'), 200],
    ])('are on %s', async (_, call, status) => {
      const res = await call(t.http).expect(status);
      expect(res.headers).toMatchObject({
        'x-content-type-options': 'nosniff',
        'x-frame-options': 'SAMEORIGIN',
        'referrer-policy': 'no-referrer',
        'strict-transport-security': expect.stringMatching(/^max-age=\d+/),
        'content-security-policy': expect.stringContaining("default-src 'self'"),
      });
      expect(res.headers['content-security-policy']).not.toContain('upgrade-insecure-requests');
    });
  });

  describe('CORS, with CORS_ORIGINS unset', () => {
    it('answers a browser from any origin without CORS headers', async () => {
      const preflight = await t.http
        .options('/messages')
        .set('Origin', 'https://app.example.com')
        .set('Access-Control-Request-Method', 'POST');
      expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
      const res = await t.http.get('/messages').set(as('alpha')).set('Origin', 'https://app.example.com').expect(200);
      expect(res.headers['access-control-allow-origin']).toBeUndefined();
    });
  });
});

describe('The emulators’ inbox, with API keys', () => {
  let t: TestApp;
  beforeAll(async () => (t = await createTestApp({ realEmulators: true, env: { API_KEYS } })));
  afterAll(() => t.close());

  interface Delivery {
    idempotency_key: string;
    recipient: string;
    body: string;
  }
  /** Dispatches until nothing is queued: a second message to one recipient waits for the first (per-recipient order). */
  async function deliverAll(): Promise<void> {
    for (let pass = 0; pass < 10; pass++) {
      await t.dispatch.dispatchDue();
      if ((await t.sql(`SELECT 1 FROM messages WHERE status IN ('pending', 'sending')`)).length === 0) return;
    }
    throw new Error('messages still queued after 10 dispatch passes');
  }
  const inboxOf = async (client: keyof typeof KEYS, provider: string, query = '') =>
    (await t.http.get(`/emulators/${provider}/inbox${query}`).set(as(client)).expect(200)).body.items as Delivery[];

  it('shows each client its own deliveries only, with and without a recipient', async () => {
    // Viber: no per-recipient rate limit, so both clients' messages to one recipient go out at once.
    const shared = aRecipient.viber();
    const alpha = aMessageRequest({ recipients: [shared, aRecipient.viber()] });
    const beta = aMessageRequest({ recipients: [shared] });
    const alphaIds = (await t.http.post('/messages').set(as('alpha')).send(alpha).expect(202)).body.messages.map(
      (m: { id: string }) => m.id,
    );
    const [betaId] = (await t.http.post('/messages').set(as('beta')).send(beta).expect(202)).body.messages.map(
      (m: { id: string }) => m.id,
    );
    await deliverAll();

    const alphaInbox = await inboxOf('alpha', 'viber');
    const betaInbox = await inboxOf('beta', 'viber');
    expect(alphaInbox.map((d) => d.idempotency_key).sort()).toEqual([...alphaIds].sort());
    expect(alphaInbox.every((d) => d.body === alpha.body)).toBe(true);
    expect(betaInbox).toEqual([
      expect.objectContaining({ idempotency_key: betaId, recipient: shared.recipient, body: beta.body }),
    ]);

    const byRecipient = `?recipient=${encodeURIComponent(shared.recipient)}`;
    expect((await inboxOf('alpha', 'viber', byRecipient)).map((d) => d.body)).toEqual([alpha.body]);
    expect((await inboxOf('beta', 'viber', byRecipient)).map((d) => d.body)).toEqual([beta.body]);
  });

  it('finds a Telegram @username however it is written, as messages store it', async () => {
    const username = `@Some_User_${Date.now().toString(36)}`;
    const request = aMessageRequest({ recipients: [{ provider: 'telegram', recipient: username }] });
    await t.http.post('/messages').set(as('alpha')).send(request).expect(202);
    await deliverAll();

    for (const written of [username, username.toLowerCase(), username.toUpperCase()]) {
      const found = await inboxOf('alpha', 'telegram', `?recipient=${encodeURIComponent(written)}`);
      expect([written, found]).toEqual([
        written,
        [expect.objectContaining({ recipient: username.toLowerCase(), body: request.body })],
      ]);
    }
  });
});

describe('CORS, with CORS_ORIGINS set', () => {
  let t: TestApp;
  beforeAll(
    async () =>
      (t = await createTestApp({ env: { API_KEYS, CORS_ORIGINS: 'https://app.example.com, http://localhost:5173' } })),
  );
  afterAll(() => t.close());

  it('lets a configured origin send the API key and read the answer', async () => {
    const preflight = await t.http
      .options('/messages')
      .set('Origin', 'https://app.example.com')
      .set('Access-Control-Request-Method', 'POST')
      .set('Access-Control-Request-Headers', 'authorization, content-type, idempotency-key')
      .expect(204);
    expect(preflight.headers['access-control-allow-origin']).toBe('https://app.example.com');
    expect(preflight.headers['access-control-allow-headers'].toLowerCase()).toEqual(
      expect.stringContaining('authorization'),
    );
    const res = await t.http.get('/messages').set(as('alpha')).set('Origin', 'http://localhost:5173').expect(200);
    expect(res.headers['access-control-allow-origin']).toBe('http://localhost:5173');
    expect(res.headers['access-control-expose-headers']).toContain('Retry-After');
  });

  it('gives any other origin no CORS headers', async () => {
    const preflight = await t.http
      .options('/messages')
      .set('Origin', 'https://evil.example.com')
      .set('Access-Control-Request-Method', 'POST');
    expect(preflight.headers['access-control-allow-origin']).toBeUndefined();
  });
});

describe('The per-client rate limit', () => {
  let t: TestApp;
  const GAMMA = 'gamma-secret-0123456789abcdef';
  // A burst of 5 in 5-second windows: the sixth request in a window is refused, however slow the machine.
  beforeAll(async () => {
    const env = { API_KEYS: `${API_KEYS},gamma:${GAMMA}`, API_RATE_LIMIT_PER_SECOND: '1', API_RATE_LIMIT_BURST: '5' };
    t = await createTestApp({ env });
  });
  afterAll(() => t.close());

  it('answers a client over its limit 429 with Retry-After, and leaves other clients and the probes alone', async () => {
    for (let i = 0; i < 5; i++) await t.http.get('/messages').set(as('alpha')).expect(200);
    const refused = await t.http.post('/messages').set(as('alpha')).send(aMessageRequest()).expect(429);
    expect(refused.body).toEqual({
      statusCode: 429,
      code: 'RATE_LIMITED',
      message: expect.stringMatching(/^Client "alpha" made more than 5 requests in 5 s; try again in [1-5] s$/),
    });
    expect(Number(refused.headers['retry-after'])).toBeGreaterThanOrEqual(1);
    expect(Number(refused.headers['retry-after'])).toBeLessThanOrEqual(5);
    expect(await t.sql(`SELECT id FROM messages WHERE client = 'alpha'`)).toEqual([]);

    await t.http.get('/messages').set(as('beta')).expect(200);
    for (let i = 0; i < 10; i++) await t.http.get('/health/live').expect(200);
  });

  it('does not count requests refused for their key', async () => {
    for (let i = 0; i < 10; i++)
      await t.http.get('/messages').set('Authorization', 'Bearer wrong-key-0123456789abcdef').expect(401);
    for (let i = 0; i < 5; i++) await t.http.get('/messages').set('Authorization', `Bearer ${GAMMA}`).expect(200);
  });
});

describe('Open mode (no API_KEYS)', () => {
  let t: TestApp;
  beforeAll(async () => (t = await createTestApp()));
  afterAll(() => t.close());

  it('takes every request, with or without a key, as client "default"', async () => {
    const request = aMessageRequest();
    const res = await t.http.post('/messages').send(request).expect(202);
    const [{ id }] = (res.body as Created).messages;
    await t.http.get(`/messages/${id}`).set('Authorization', 'Bearer whatever-it-says-0123456789').expect(200);
    expect(await t.sql('SELECT client FROM messages WHERE id = $1', [id])).toEqual([{ client: 'default' }]);
  });
});

describe('Start-up, as a process', () => {
  const processes: ServiceProcess[] = [];
  afterEach(async () => {
    for (const service of processes.splice(0)) {
      service.kill('SIGKILL');
      await service.exited;
    }
  });
  const start = (env: Record<string, string>) => {
    const service = new ServiceProcess(env);
    processes.push(service);
    return service;
  };

  it(
    'refuses to serve the API in production without API_KEYS: a configuration error and exit code 1',
    async () => {
      const service = start({ NODE_ENV: 'production', APP_ROLE: 'api', DATABASE_URL: 'postgres://nowhere.invalid/x' });
      expect(await service.exited).toBe(1);
      expect(service.lines.join('\n')).toMatch(
        /API_KEYS: must be set when NODE_ENV=production .*open to anyone who can reach it/,
      );
    },
    PROCESS_SPEC_TIMEOUT_MS,
  );

  it(
    'in open mode, warns on one line that the API is open to anyone; with keys, names the clients and never a secret',
    async () => {
      const t = await createTestApp();
      try {
        const open = start({ DATABASE_URL: t.database.url, APP_ROLE: 'api', PORT: '0' });
        const keyed = start({ DATABASE_URL: t.database.url, APP_ROLE: 'api', PORT: '0', API_KEYS });
        const listening = (service: ServiceProcess) => async () =>
          service.entries().some((e) => /API on http/.test(String(e.msg)));
        await waitFor('the open API listens', listening(open));
        await waitFor('the keyed API listens', listening(keyed));

        expect(open.entries().filter((e) => /API_KEYS/.test(String(e.msg)))).toEqual([
          expect.objectContaining({
            level: 40,
            msg: 'API_KEYS is not set: the API is OPEN to anyone who can reach it, and every request acts as client "default"',
          }),
        ]);
        expect(keyed.entries().filter((e) => /API keys|API_KEYS/.test(String(e.msg)))).toEqual([
          expect.objectContaining({ level: 30, msg: 'API keys for 2 client(s): alpha, beta' }),
        ]);
        for (const secret of Object.values(KEYS)) expect(keyed.lines.join('\n')).not.toContain(secret);
      } finally {
        await t.close();
      }
    },
    PROCESS_SPEC_TIMEOUT_MS,
  );
});
