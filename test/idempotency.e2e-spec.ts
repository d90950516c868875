import { randomUUID } from 'node:crypto';
import supertest, { type Response } from 'supertest';
import { MessagesService } from '../src/messages/messages.service';
import { aMessageRequest, aRecipient } from './support/factories';
import { holdNextCreate } from './support/hold';
import { OpenApiDocument } from './support/openapi-document';
import type { TestApp } from './support/test-app';
import { createTestApp } from './support/test-app';
import { captureLogs } from './support/test-logs';

interface KeyRow {
  key: string;
  status: 'in_flight' | 'completed';
  response_status: number | null;
  response_body: unknown;
  locked_until: Date | null;
  created_at: Date;
  expires_at: Date;
}

describe('Idempotency-Key on POST /messages', () => {
  let t: TestApp;
  beforeAll(async () => (t = await createTestApp()));
  afterAll(() => t.close());
  afterEach(() => jest.restoreAllMocks());

  const aKey = () => `order-1042-${randomUUID()}`;
  const post = (body: unknown, key?: string) => {
    const req = t.http.post('/messages');
    if (key !== undefined) req.set('Idempotency-Key', key);
    return req.send(body as object);
  };
  const keyRows = (key: string) => t.sql<KeyRow>('SELECT * FROM idempotency_keys WHERE key = $1', [key]);
  const countMessages = async (body: string) =>
    (await t.sql<{ n: number }>('SELECT count(*)::int AS n FROM messages WHERE body = $1', [body]))[0].n;
  const countKeys = async () => (await t.sql<{ n: number }>('SELECT count(*)::int AS n FROM idempotency_keys'))[0].n;

  function expectError(res: Response, statusCode: number, code: string): void {
    expect(res.status).toBe(statusCode);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toMatchObject({ statusCode, code, message: expect.any(String) });
  }

  describe('without the header', () => {
    it('behaves as before: a repeated request is answered 200 with duplicates, and no key is stored', async () => {
      const request = aMessageRequest();
      const keysBefore = await countKeys();

      const first = await post(request).expect(202);
      const again = await post(request).expect(200);

      expect(again.body.messages[0]).toMatchObject({ id: first.body.messages[0].id, duplicate: true });
      expect(first.headers['idempotency-replay']).toBeUndefined();
      expect(again.headers['idempotency-replay']).toBeUndefined();
      expect(await countKeys()).toBe(keysBefore);
    });
  });

  describe('the same key with the same request', () => {
    it('runs the first request and stores its answer', async () => {
      const key = aKey();
      const request = aMessageRequest({ recipients: [aRecipient.telegram(), aRecipient.viber()] });

      const res = await post(request, key).expect(202);

      expect(res.headers['idempotency-replay']).toBeUndefined();
      expect(await countMessages(request.body)).toBe(2);
      const [row] = await keyRows(key);
      expect(row).toMatchObject({
        status: 'completed',
        response_status: 202,
        response_body: res.body,
        locked_until: null,
      });
      expect(row.expires_at.getTime() - row.created_at.getTime()).toBe(24 * 60 * 60 * 1000);
    });

    it('replays the stored answer: same status, byte-identical body, Idempotency-Replay: true, nothing new stored', async () => {
      const key = aKey();
      const request = aMessageRequest({ recipients: [aRecipient.telegram(), aRecipient.whatsapp()] });
      const first = await post(request, key).expect(202);
      const keysAfterFirst = await countKeys();

      const again = await post(request, key).expect(202);

      expect(again.headers['idempotency-replay']).toBe('true');
      expect(again.text).toBe(first.text);
      expect(await countMessages(request.body)).toBe(2);
      expect(await countKeys()).toBe(keysAfterFirst);
    });

    it('replays a 200 (every recipient a duplicate) as a 200', async () => {
      const request = aMessageRequest();
      await post(request).expect(202);
      const key = aKey();
      const first = await post(request, key).expect(200);

      const again = await post(request, key).expect(200);

      expect(again.headers['idempotency-replay']).toBe('true');
      expect(again.text).toBe(first.text);
    });

    it('counts a request with its keys in another order, other whitespace and a username in other case as the same', async () => {
      const key = aKey();
      const body = aMessageRequest().body;
      const first = await post(
        { body, recipients: [{ provider: 'telegram', recipient: '@Order_Bot_Fan' }], send_at: null },
        key,
      ).expect(202);

      const again = await t.http
        .post('/messages')
        .set('Idempotency-Key', key)
        .set('content-type', 'application/json')
        .send(
          `{ "send_at": null,\n  "recipients": [ { "recipient": "@order_bot_fan", "provider": "telegram" } ], "body": ${JSON.stringify(body)} }`,
        )
        .expect(202);

      expect(again.headers['idempotency-replay']).toBe('true');
      expect(again.text).toBe(first.text);
    });
  });

  describe('the same key with another request', () => {
    it('answers 422 IDEMPOTENCY_KEY_REUSED naming the header, and stores nothing', async () => {
      const key = aKey();
      await post(aMessageRequest(), key).expect(202);
      const other = aMessageRequest();

      const res = await post(other, key);

      expectError(res, 422, 'IDEMPOTENCY_KEY_REUSED');
      expect(res.body.errors).toEqual([{ field: 'Idempotency-Key', reason: res.body.message }]);
      expect(await countMessages(other.body)).toBe(0);
      expect(await keyRows(key)).toEqual([expect.objectContaining({ status: 'completed', response_status: 202 })]);
    });

    it.each([
      ['another recipient', (r: Record<string, unknown>) => ({ ...r, recipients: [aRecipient.whatsapp()] })],
      ['another send_at', (r: Record<string, unknown>) => ({ ...r, send_at: '2026-12-01T09:00:00+03:00' })],
    ])('counts %s as another request', async (_, change) => {
      const key = aKey();
      const request = aMessageRequest();
      await post(request, key).expect(202);

      expectError(await post(change(request), key), 422, 'IDEMPOTENCY_KEY_REUSED');
    });
  });

  describe('a key in flight', () => {
    it('answers a retry 409 IDEMPOTENCY_KEY_IN_FLIGHT with Retry-After, then replays once the first is done', async () => {
      const key = aKey();
      const request = aMessageRequest();
      const held = holdNextCreate(t.app);
      const first = post(request, key).then((res) => res);
      await held.entered;

      const during = await post(request, key);

      expectError(during, 409, 'IDEMPOTENCY_KEY_IN_FLIGHT');
      expect(during.headers['retry-after']).toBe('1');
      expect(during.body.errors).toEqual([{ field: 'Idempotency-Key', reason: during.body.message }]);
      expect((await keyRows(key))[0].status).toBe('in_flight');
      held.release();
      expect((await first).status).toBe(202);
      const after = await post(request, key).expect(202);
      expect(after.headers['idempotency-replay']).toBe('true');
      expect(after.text).toBe((await first).text);
      expect(await countMessages(request.body)).toBe(1);
    });

    it('answers another request with that key 422, not 409', async () => {
      const key = aKey();
      const held = holdNextCreate(t.app);
      const first = post(aMessageRequest(), key).then((res) => res);
      await held.entered;

      expectError(await post(aMessageRequest(), key), 422, 'IDEMPOTENCY_KEY_REUSED');

      held.release();
      expect((await first).status).toBe(202);
    });

    it('runs exactly one of many identical requests sent at once; the others get 409 or the replay', async () => {
      const key = aKey();
      const body = aMessageRequest({ recipients: [aRecipient.telegram(), aRecipient.whatsapp(), aRecipient.viber()] });

      // A listening server of its own, so the requests arrive together rather than one listener at a time.
      await t.app.listen(0, '127.0.0.1');
      const server = supertest(await t.app.getUrl());

      const answers = await Promise.all(
        Array.from({ length: 25 }, () => server.post('/messages').set('Idempotency-Key', key).send(body)),
      );

      const ran = answers.filter((a) => a.status === 202 && a.headers['idempotency-replay'] === undefined);
      const replays = answers.filter((a) => a.headers['idempotency-replay'] === 'true');
      const inFlight = answers.filter((a) => a.status === 409);
      expect(ran).toHaveLength(1);
      expect(replays.length + inFlight.length).toBe(24);
      for (const replay of replays) {
        expect(replay.status).toBe(202);
        expect(replay.text).toBe(ran[0].text);
      }
      for (const refused of inFlight) {
        expect(refused.body.code).toBe('IDEMPOTENCY_KEY_IN_FLIGHT');
        expect(refused.headers['retry-after']).toBe('1');
      }
      expect(await countMessages(body.body)).toBe(3);
      expect(await keyRows(key)).toEqual([expect.objectContaining({ status: 'completed', response_status: 202 })]);
    });

    it('is taken over by a retry once its holder’s lease ran out (a crashed holder), whose late answer is then not stored', async () => {
      const key = aKey();
      const request = aMessageRequest();
      const held = holdNextCreate(t.app);
      const stale = post(request, key).then((res) => res);
      await held.entered;
      await t.sql(`UPDATE idempotency_keys SET locked_until = now() - interval '1 second' WHERE key = $1`, [key]);

      const retry = await post(request, key).expect(202);
      held.release();
      const staleAnswer = await stale;

      expect(retry.headers['idempotency-replay']).toBeUndefined();
      // The stale holder still ran, and the dedup index made its messages the retry's.
      expect(staleAnswer.status).toBe(200);
      expect(staleAnswer.body.messages[0]).toMatchObject({ id: retry.body.messages[0].id, duplicate: true });
      expect(await countMessages(request.body)).toBe(1);
      const replay = await post(request, key).expect(202);
      expect(replay.text).toBe(retry.text);
    });

    it('is not taken over by another request, even once its lease ran out', async () => {
      const key = aKey();
      const held = holdNextCreate(t.app);
      const first = post(aMessageRequest(), key).then((res) => res);
      await held.entered;
      await t.sql(`UPDATE idempotency_keys SET locked_until = now() - interval '1 second' WHERE key = $1`, [key]);

      expectError(await post(aMessageRequest(), key), 422, 'IDEMPOTENCY_KEY_REUSED');

      held.release();
      expect((await first).status).toBe(202);
    });
  });

  describe('failures', () => {
    it.each([
      [
        'a bug (500)',
        new Error('boom'),
        500,
        'INTERNAL_ERROR',
        // The error with its stack, for whoever fixes the bug; the request's own line says it failed.
        [
          expect.objectContaining({
            level: 50,
            context: 'HttpErrorFilter',
            msg: expect.stringMatching(/^Error: boom\n\s+at /),
          }),
          expect.objectContaining({ level: 50, msg: 'request errored', res: { statusCode: 500 } }),
        ],
      ],
      // A warning at most (the test app logs errors only): the database's own lines say why.
      [
        'the database going away (503)',
        new Error('Connection terminated unexpectedly'),
        503,
        'DATABASE_UNAVAILABLE',
        [],
      ],
    ])(
      'releases the key when the request fails with %s, so that a retry with it runs',
      async (_, error, status, code, logged) => {
        const key = aKey();
        const request = aMessageRequest();
        jest.spyOn(t.app.get(MessagesService), 'create').mockRejectedValueOnce(error);
        const logs = captureLogs();
        try {
          expectError(await post(request, key), status, code);
          await logs.waitFor('the failed request is logged', (entries) => entries.length >= logged.length);
          expect(logs.entries).toEqual(logged);
        } finally {
          logs.stop();
        }
        expect(await keyRows(key)).toEqual([]);

        const retry = await post(request, key).expect(202);
        expect(retry.headers['idempotency-replay']).toBeUndefined();
        expect(await countMessages(request.body)).toBe(1);
      },
    );

    it('takes no key for a request that fails validation: the corrected request may use it', async () => {
      const key = aKey();
      const request = aMessageRequest();

      expectError(await post({ ...request, body: '   ' }, key), 400, 'VALIDATION_FAILED');
      expect(await keyRows(key)).toEqual([]);

      await post(request, key).expect(202);
    });
  });

  describe('the header', () => {
    it.each([
      ['empty', '', /must not be empty/],
      ['256 characters', 'k'.repeat(256), /at most 255 characters, not 256/],
      // Sent as UTF-8: é is the bytes C3 A9.
      ['not ASCII', 'café-1042', /printable ASCII characters; byte 4 is 0xC3/],
      ['a control character', 'order\t1042', /printable ASCII characters; byte 6 is 0x09/],
    ])('is refused when %s: 400 naming it, nothing stored', async (_, key, reason) => {
      const request = aMessageRequest();
      const keysBefore = await countKeys();

      const res = await post(request, key);

      expectError(res, 400, 'VALIDATION_FAILED');
      expect(res.body.errors).toEqual([{ field: 'Idempotency-Key', reason: expect.stringMatching(reason) }]);
      expect(await countMessages(request.body)).toBe(0);
      expect(await countKeys()).toBe(keysBefore);
    });

    it('takes 255 printable ASCII characters, spaces and symbols included', async () => {
      const printable = Array.from({ length: 0x7f - 0x20 }, (_, i) => String.fromCharCode(0x20 + i)).join('');
      // Not at either end: HTTP trims spaces around a header value.
      const key = `k${printable}`.padEnd(255, 'k');
      await post(aMessageRequest(), key).expect(202);
      expect(await keyRows(key)).toHaveLength(1);
    });
  });

  describe('expiry', () => {
    it('forgets a key after its 24 hours: the key then runs a new request', async () => {
      const key = aKey();
      await post(aMessageRequest(), key).expect(202);
      await t.sql(`UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE key = $1`, [key]);
      const other = aMessageRequest();

      const res = await post(other, key).expect(202);

      expect(res.headers['idempotency-replay']).toBeUndefined();
      expect(await countMessages(other.body)).toBe(1);
      expect(await keyRows(key)).toEqual([expect.objectContaining({ status: 'completed', response_body: res.body })]);
    });

    it('purges expired keys as new ones are taken, and keeps the others', async () => {
      const expired = [aKey(), aKey(), aKey()];
      const live = aKey();
      for (const key of [...expired, live]) await post(aMessageRequest(), key).expect(202);
      await t.sql(`UPDATE idempotency_keys SET expires_at = now() - interval '1 second' WHERE key = ANY($1)`, [
        expired,
      ]);

      await post(aMessageRequest(), aKey()).expect(202);

      expect(await t.sql('SELECT key FROM idempotency_keys WHERE key = ANY($1)', [[...expired, live]])).toEqual([
        { key: live },
      ]);
    });
  });

  describe('GET /docs-json', () => {
    it('documents the header and the 409 and 422 answers of POST /messages', async () => {
      const doc = new OpenApiDocument((await t.http.get('/docs-json').expect(200)).body);
      const operation = doc.operation('post', '/messages');
      expect(operation.parameters).toEqual(
        expect.arrayContaining([expect.objectContaining({ name: 'Idempotency-Key', in: 'header', required: false })]),
      );
      const examples = (status: number) => doc.examples('post', '/messages', status).map(({ value }) => value);
      expect(examples(409)).toEqual([expect.objectContaining({ code: 'IDEMPOTENCY_KEY_IN_FLIGHT' })]);
      expect(examples(422)).toEqual([expect.objectContaining({ code: 'IDEMPOTENCY_KEY_REUSED' })]);
      expect(doc.response('post', '/messages', 409)?.headers).toHaveProperty('Retry-After');
      expect(doc.response('post', '/messages', 202)?.headers).toHaveProperty('Idempotency-Replay');
    });
  });
});
