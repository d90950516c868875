import 'reflect-metadata';
import { randomUUID } from 'node:crypto';
import type { SchemaObject } from '@nestjs/swagger';
import type { Response, Test } from 'supertest';
import { ERROR_CODES, type ErrorCode } from '../src/common/error-codes';
import { MAX_RECIPIENTS } from '../src/messages/dto/create-message.dto';
import { MessagesService } from '../src/messages/messages.service';
import { MESSENGER_RULES, MESSENGER_NAMES } from '../src/providers/messengers';
import { aMessageRequest, aRecipient } from './support/factories';
import { holdNextCreate } from './support/hold';
import type { HttpMethod } from './support/openapi-document';
import { OpenApiDocument } from './support/openapi-document';
import type { Script } from './support/scripted-messenger';
import { loadSwaggerPluginMetadata } from './support/swagger-plugin-metadata';
import type { TestApp } from './support/test-app';
import { createTestApp } from './support/test-app';
import { allowConnections, takeDatabaseAway } from './support/test-database';

/**
 * The OpenAPI document tells the truth, so that a client generated from /docs-json needs no cast: every
 * answer the service gives, for every operation and every status it can be made to give here, is declared
 * by the document for that operation and status, and its body fits the declared schema (ajv, with objects
 * closed: an undeclared field fails too). The document is the one production serves: jest compiles with SWC,
 * so the Swagger plugin's metadata is loaded first (test/support/swagger-plugin-metadata.ts).
 */

const KEY = 'openapi-spec-secret-0123456789';
const API_KEYS = `alpha:${KEY}`;
const auth = { Authorization: `Bearer ${KEY}` };
const BODY_LIMIT = 16 * 1024;

/** The statuses any operation can answer, whatever it does (the shared decorator, ApiStandardResponses). */
const EVERY_OPERATION = ['400', '401', '408', '417', '429', '431', '500', '503'];
/** And those of an operation whose path has a parameter, and of one whose request Fastify reads a body from. */
const WITH_A_PATH_PARAMETER = ['414'];
const WITH_A_BODY = ['413', '415'];

const failPermanently: Script = () => ({
  outcome: 'failed',
  code: '403',
  description: 'Forbidden: bot was blocked by the user',
});

describe('The OpenAPI document', () => {
  let t: TestApp;
  let doc: OpenApiDocument;
  /** A message of each kind, for the operations on one message. */
  const ids = { pending: '', sent: '', failed: '' };
  let duplicateRequest: ReturnType<typeof aMessageRequest>;

  beforeAll(async () => {
    await loadSwaggerPluginMetadata();
    t = await createTestApp({ env: { API_KEYS, API_BODY_LIMIT_BYTES: String(BODY_LIMIT) } });
    doc = new OpenApiDocument((await t.http.get('/docs-json').expect(200)).body);

    const queue = async (request = aMessageRequest()) =>
      (await t.http.post('/messages').set(auth).send(request).expect(202)).body.messages[0].id as string;
    ids.sent = await queue();
    await t.dispatch.dispatchDue();
    t.messengers.telegram.script = failPermanently;
    ids.failed = await queue();
    await t.dispatch.dispatchDue();
    ids.pending = await queue();
    duplicateRequest = aMessageRequest();
    await queue(duplicateRequest);
    await t.sql(
      `INSERT INTO emulator_inbox (provider, idempotency_key, recipient, body, provider_message_id)
       VALUES ('telegram', $1, '123456789', 'Your order #1042 has shipped.', '52817')`,
      [ids.sent],
    );
  }, 120_000);
  afterAll(() => t?.close());
  afterEach(() => jest.restoreAllMocks());

  const as = (req: Test) => req.set(auth);
  const json = (req: Test, text: string) => req.set('Content-Type', 'application/json').send(text);
  const tooLarge = (req: Test) => req.send({ padding: 'x'.repeat(BODY_LIMIT) });
  const plainText = (req: Test) => req.set('Content-Type', 'text/plain').send('hello');
  const unknownId = () => randomUUID();

  type Case = [label: string, method: HttpMethod, path: string, status: number, send: () => Test | Promise<Response>];

  const cases: Case[] = [
    ['a new message', 'post', '/messages', 202, () => as(t.http.post('/messages')).send(aMessageRequest())],
    ['a message already queued', 'post', '/messages', 200, () => as(t.http.post('/messages')).send(duplicateRequest)],
    ['a blank body', 'post', '/messages', 400, () => as(t.http.post('/messages')).send(aMessageRequest({ body: ' ' }))],
    ['malformed JSON', 'post', '/messages', 400, () => json(as(t.http.post('/messages')), '{"body":')],
    [
      'an Idempotency-Key too long',
      'post',
      '/messages',
      400,
      () => as(t.http.post('/messages')).set('Idempotency-Key', 'k'.repeat(300)).send(aMessageRequest()),
    ],
    ['no API key', 'post', '/messages', 401, () => t.http.post('/messages').send(aMessageRequest())],
    ['a body over the limit', 'post', '/messages', 413, () => tooLarge(as(t.http.post('/messages')))],
    ['a body that is not JSON', 'post', '/messages', 415, () => plainText(as(t.http.post('/messages')))],
    [
      'an Idempotency-Key reused for another request',
      'post',
      '/messages',
      422,
      async () => {
        const key = randomUUID();
        await as(t.http.post('/messages')).set('Idempotency-Key', key).send(aMessageRequest()).expect(202);
        return as(t.http.post('/messages')).set('Idempotency-Key', key).send(aMessageRequest());
      },
    ],
    [
      'an unexpected error',
      'post',
      '/messages',
      500,
      () => {
        jest.spyOn(t.app.get(MessagesService), 'create').mockRejectedValueOnce(new Error('scripted failure'));
        return as(t.http.post('/messages')).send(aMessageRequest());
      },
    ],

    ['a page', 'get', '/messages', 200, () => as(t.http.get('/messages'))],
    ['an unknown status', 'get', '/messages', 400, () => as(t.http.get('/messages?status=lost'))],
    ['a limit of 0', 'get', '/messages', 400, () => as(t.http.get('/messages?limit=0'))],
    ['an unknown cursor', 'get', '/messages', 400, () => as(t.http.get(`/messages?cursor=${unknownId()}`))],
    [
      'a wrong API key',
      'get',
      '/messages',
      401,
      () => t.http.get('/messages').set('Authorization', 'Bearer not-a-configured-key'),
    ],

    ['a message', 'get', '/messages/{id}', 200, () => as(t.http.get(`/messages/${ids.sent}`))],
    ['an id that is not a UUID', 'get', '/messages/{id}', 400, () => as(t.http.get('/messages/42'))],
    ['an unknown id', 'get', '/messages/{id}', 404, () => as(t.http.get(`/messages/${unknownId()}`))],
    ['no API key', 'get', '/messages/{id}', 401, () => t.http.get(`/messages/${ids.sent}`)],
    [
      'an unexpected error',
      'get',
      '/messages/{id}',
      500,
      () => {
        jest.spyOn(t.app.get(MessagesService), 'getById').mockRejectedValueOnce(new Error('scripted failure'));
        return as(t.http.get(`/messages/${ids.sent}`));
      },
    ],

    [
      'the attempts of a sent message',
      'get',
      '/messages/{id}/attempts',
      200,
      () => as(t.http.get(`/messages/${ids.sent}/attempts`)),
    ],
    ['an id that is not a UUID', 'get', '/messages/{id}/attempts', 400, () => as(t.http.get('/messages/42/attempts'))],
    ['an unknown id', 'get', '/messages/{id}/attempts', 404, () => as(t.http.get(`/messages/${unknownId()}/attempts`))],
    ['no API key', 'get', '/messages/{id}/attempts', 401, () => t.http.get(`/messages/${ids.sent}/attempts`)],

    ['a failed message', 'post', '/messages/{id}/retry', 202, () => as(t.http.post(`/messages/${ids.failed}/retry`))],
    [
      'a message that is not failed',
      'post',
      '/messages/{id}/retry',
      409,
      () => as(t.http.post(`/messages/${ids.sent}/retry`)),
    ],
    ['an id that is not a UUID', 'post', '/messages/{id}/retry', 400, () => as(t.http.post('/messages/42/retry'))],
    [
      'malformed JSON',
      'post',
      '/messages/{id}/retry',
      400,
      () => json(as(t.http.post(`/messages/${ids.sent}/retry`)), '{x'),
    ],
    ['an unknown id', 'post', '/messages/{id}/retry', 404, () => as(t.http.post(`/messages/${unknownId()}/retry`))],
    ['no API key', 'post', '/messages/{id}/retry', 401, () => t.http.post(`/messages/${ids.sent}/retry`)],
    [
      'a body over the limit',
      'post',
      '/messages/{id}/retry',
      413,
      () => tooLarge(as(t.http.post(`/messages/${ids.sent}/retry`))),
    ],
    [
      'a body that is not JSON',
      'post',
      '/messages/{id}/retry',
      415,
      () => plainText(as(t.http.post(`/messages/${ids.sent}/retry`))),
    ],

    ['a pending message', 'delete', '/messages/{id}', 200, () => as(t.http.delete(`/messages/${ids.pending}`))],
    ['a message already sent', 'delete', '/messages/{id}', 409, () => as(t.http.delete(`/messages/${ids.sent}`))],
    ['an id that is not a UUID', 'delete', '/messages/{id}', 400, () => as(t.http.delete('/messages/42'))],
    ['malformed JSON', 'delete', '/messages/{id}', 400, () => json(as(t.http.delete(`/messages/${ids.sent}`)), '{x')],
    ['an unknown id', 'delete', '/messages/{id}', 404, () => as(t.http.delete(`/messages/${unknownId()}`))],
    ['no API key', 'delete', '/messages/{id}', 401, () => t.http.delete(`/messages/${ids.sent}`)],
    [
      'a body over the limit',
      'delete',
      '/messages/{id}',
      413,
      () => tooLarge(as(t.http.delete(`/messages/${ids.sent}`))),
    ],
    [
      'a body that is not JSON',
      'delete',
      '/messages/{id}',
      415,
      () => plainText(as(t.http.delete(`/messages/${ids.sent}`))),
    ],

    ['an inbox', 'get', '/emulators/{provider}/inbox', 200, () => as(t.http.get('/emulators/telegram/inbox'))],
    ['an unknown messenger', 'get', '/emulators/{provider}/inbox', 400, () => as(t.http.get('/emulators/icq/inbox'))],
    [
      'a limit of 0',
      'get',
      '/emulators/{provider}/inbox',
      400,
      () => as(t.http.get('/emulators/telegram/inbox?limit=0')),
    ],
    ['no API key', 'get', '/emulators/{provider}/inbox', 401, () => t.http.get('/emulators/telegram/inbox')],
  ];

  describe('declares every answer, with its body', () => {
    it.each(cases)('%s: %s %s answers %i', async (_, method, path, status, send) => {
      const res = await send();
      expect(res.status).toBe(status);
      doc.expectDeclared(method, path, res);
    });

    it('declares the 409 of a request whose Idempotency-Key is still running', async () => {
      const { entered, release } = holdNextCreate(t.app);
      const key = randomUUID();
      const request = aMessageRequest();
      const first = as(t.http.post('/messages'))
        .set('Idempotency-Key', key)
        .send(request)
        .then((res) => res);
      await entered;
      const during = await as(t.http.post('/messages')).set('Idempotency-Key', key).send(request);
      release();
      expect(during.status).toBe(409);
      doc.expectDeclared('post', '/messages', during);
      expect((await first).status).toBe(202);
    });

    it('answers a path it does not document with the error shape it does', async () => {
      const res = await as(t.http.get('/messages/x/y/z')).expect(404);
      expect(doc.mismatchesOf({ $ref: '#/components/schemas/ApiErrorDto' }, res.body)).toEqual([]);
      expect(res.body.code).toBe('NOT_FOUND');
    });

    it('answers every operation over the rate limit with its declared 429', async () => {
      const limited = await createTestApp({
        env: { API_KEYS, API_RATE_LIMIT_PER_SECOND: '1', API_RATE_LIMIT_BURST: '3' },
      });
      try {
        for (const { method, path } of doc.operations()) {
          const url = path.replace('{id}', unknownId()).replace('{provider}', 'telegram');
          let res = await limited.http[method](url).set(auth);
          // Bounded: the burst is 3, and a window that ends mid-way starts a new one of 3.
          for (let i = 0; i < 10 && res.status !== 429; i++) res = await limited.http[method](url).set(auth);
          expect([method, path, res.status]).toEqual([method, path, 429]);
          doc.expectDeclared(method, path, res);
        }
      } finally {
        await limited.close();
      }
    });

    describe('while PostgreSQL is away', () => {
      beforeAll(() => takeDatabaseAway(t.database));
      afterAll(() => allowConnections(t.database));

      it('answers every operation with its declared 503', async () => {
        for (const { method, path } of doc.operations()) {
          const url = path.replace('{id}', unknownId()).replace('{provider}', 'telegram');
          const req = as(t.http[method](url));
          const res = await (path === '/messages' && method === 'post' ? req.send(aMessageRequest()) : req);
          expect([method, path, res.status]).toEqual([method, path, 503]);
          doc.expectDeclared(method, path, res);
          expect(res.headers['retry-after']).toBeDefined();
        }
      });
    });
  });

  describe('declares on every operation', () => {
    it('the answers that do not depend on what it does: 414 where its path has a parameter, 413 and 415 where it takes a body', () => {
      for (const { method, path, operation } of doc.operations()) {
        const expected = [
          ...EVERY_OPERATION,
          ...(path.includes('{') ? WITH_A_PATH_PARAMETER : []),
          ...(method === 'get' ? [] : WITH_A_BODY),
        ];
        expect([method, path, Object.keys(operation.responses)]).toEqual([
          method,
          path,
          expect.arrayContaining(expected),
        ]);
      }
    });

    it('a description and at least one example for each answer, every example fitting its schema', () => {
      for (const { method, path, operation } of doc.operations()) {
        for (const [status, response] of Object.entries(operation.responses)) {
          const where = `${method.toUpperCase()} ${path} ${status}`;
          expect([where, Boolean(response && 'description' in response && response.description)]).toEqual([
            where,
            true,
          ]);
          const examples = doc.examples(method, path, status);
          expect([where, examples.length > 0]).toEqual([where, true]);
          for (const { name, value } of examples) {
            expect([where, name, doc.mismatches(method, path, status, value)]).toEqual([where, name, []]);
            if (Number(status) >= 400) {
              // The status the answer has, and the one the list of codes gives its code.
              const { statusCode, code } = value as { statusCode: number; code: ErrorCode };
              expect([where, name, statusCode, ERROR_CODES[code]?.status]).toEqual([
                where,
                name,
                Number(status),
                Number(status),
              ]);
            }
          }
        }
      }
    });

    it('the API key as a bearer token (not a JWT), required', () => {
      expect(doc.document.components?.securitySchemes).toEqual({
        'api-key': { type: 'http', scheme: 'bearer', description: expect.any(String) },
      });
      for (const { operation } of doc.operations()) expect(operation.security).toEqual([{ 'api-key': [] }]);
    });
  });

  describe('describes the data exactly', () => {
    it('declares the requests the service takes, and not those it refuses', async () => {
      const requests = [
        aMessageRequest(),
        aMessageRequest({
          recipients: [aRecipient.telegram(), aRecipient.whatsapp(), aRecipient.viber()],
          send_at: '2026-12-01T09:00:00+03:00',
        }),
        aMessageRequest({ send_at: null }),
      ];
      for (const request of requests) {
        expect([request, doc.requestMismatches('post', '/messages', request)]).toEqual([request, []]);
        await as(t.http.post('/messages')).send(request).expect(202);
      }
      for (const refused of [
        aMessageRequest({ recipients: [] }),
        aMessageRequest({ body: 42 }),
        { ...aMessageRequest(), priority: 1 },
      ]) {
        const mismatches = doc.requestMismatches('post', '/messages', refused);
        expect([refused, mismatches.length > 0]).toEqual([refused, true]);
        await as(t.http.post('/messages')).send(refused).expect(400);
      }
    });

    const schemas = () => doc.document.components!.schemas as Record<string, SchemaObject>;
    const property = (schema: string, name: string) => schemas()[schema].properties![name] as SchemaObject;

    it('declares the limit of GET /messages optional: an integer of 1-100, 50 by default', () => {
      const limit = doc.operation('get', '/messages').parameters!.find((p) => 'name' in p && p.name === 'limit');
      expect(limit).toMatchObject({
        in: 'query',
        required: false,
        schema: { type: 'integer', minimum: 1, maximum: 100, default: 50 },
      });
    });

    it('gives every id format uuid and every time format date-time, send_at in the request included', () => {
      const ids: string[] = [];
      const times: string[] = [];
      for (const [schema, { properties = {} }] of Object.entries(schemas())) {
        for (const [name, value] of Object.entries(properties)) {
          const { format } = value as SchemaObject;
          if (name === 'id' || name === 'next_cursor' || name === 'idempotency_key')
            ids.push(`${schema}.${name}: ${format}`);
          if (name.endsWith('_at')) times.push(`${schema}.${name}: ${format}`);
        }
      }
      expect(ids.length).toBeGreaterThanOrEqual(4);
      expect(ids.filter((entry) => !entry.endsWith(': uuid'))).toEqual([]);
      expect(times).toContain('CreateMessageDto.send_at: date-time');
      expect(times.filter((entry) => !entry.endsWith(': date-time'))).toEqual([]);
    });

    it('has no fractional numbers: every number is an integer', () => {
      expect(JSON.stringify(doc.document)).not.toContain('"type":"number"');
      expect(property('MessageDto', 'retries_count')).toMatchObject({ type: 'integer', minimum: 0 });
      expect(property('ApiErrorDto', 'statusCode')).toMatchObject({ type: 'integer' });
    });

    it('bounds the request: 1 to MAX_RECIPIENTS recipients, a body no longer than the most any messenger takes', () => {
      expect(property('CreateMessageDto', 'recipients')).toMatchObject({ minItems: 1, maxItems: MAX_RECIPIENTS });
      const body = property('CreateMessageDto', 'body');
      expect(body.maxLength).toBe(Math.max(...MESSENGER_NAMES.map((p) => MESSENGER_RULES[p].maxBodyLength)));
      for (const provider of MESSENGER_NAMES) {
        expect(body.description).toMatch(
          new RegExp(`${MESSENGER_RULES[provider].maxBodyLength} characters for [a-z ]*${provider}`),
        );
      }
    });

    it('answers POST /messages with entries that leave out the body', () => {
      expect(schemas().AcceptedMessageDto.properties).toHaveProperty('duplicate');
      expect(schemas().AcceptedMessageDto.properties).not.toHaveProperty('body');
      expect(schemas().MessageDto.properties).toHaveProperty('body');
    });

    it('declares nullable fields nullable', () => {
      for (const name of ['next_attempt_at', 'last_error', 'last_error_code', 'provider_message_id', 'sent_at']) {
        expect([name, property('MessageDto', name).nullable]).toEqual([name, true]);
      }
      expect(property('MessagePageDto', 'next_cursor').nullable).toBe(true);
    });

    it('makes the error code an enum of the codes the service uses, each with an example', () => {
      expect(schemas().ErrorCode).toMatchObject({ type: 'string', enum: Object.keys(ERROR_CODES) });
      const values = Object.values(doc.document.components?.examples ?? {}).map((example) =>
        'value' in example ? example.value : {},
      );
      const exemplified = new Set(values.map((value) => (value as { code?: string }).code));
      // NOT_FOUND answers a path the document does not have: no operation of it can declare that.
      expect(Object.keys(ERROR_CODES).filter((code) => code !== 'NOT_FOUND' && !exemplified.has(code))).toEqual([]);
    });

    it('shows UUIDv7 ids in its examples, as the service makes them', () => {
      const uuids: string[] = [];
      JSON.stringify(doc.document, (key, value: unknown) => {
        if (typeof value === 'string' && /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i.test(value))
          uuids.push(value);
        return value;
      });
      expect(uuids.length).toBeGreaterThan(0);
      expect(uuids.filter((uuid) => uuid[14] !== '7')).toEqual([]);
    });

    it('names a server and a license', () => {
      expect(doc.document.servers).toEqual([{ url: '/' }]);
      expect(doc.document.info.license).toEqual({
        name: expect.any(String),
        url: expect.stringMatching(/^https:\/\//),
      });
    });
  });

  describe('in open mode (no API_KEYS) and without a rate limit', () => {
    let open: TestApp;
    let openDoc: OpenApiDocument;
    beforeAll(async () => {
      open = await createTestApp({ env: { API_RATE_LIMIT_PER_SECOND: '0' } });
      openDoc = new OpenApiDocument((await open.http.get('/docs-json').expect(200)).body);
    }, 60_000);
    afterAll(() => open?.close());

    it('declares that no operation needs a key: security [] and no 401, and no scheme to authorise with', () => {
      for (const { method, path, operation } of openDoc.operations()) {
        expect([method, path, operation.security, operation.responses['401']]).toEqual([method, path, [], undefined]);
      }
      expect(openDoc.document.components?.securitySchemes).toBeUndefined();
      // Nor a 429, without a rate limit; the examples of both answers go with them.
      for (const { operation } of openDoc.operations()) expect(operation.responses['429']).toBeUndefined();
      expect(Object.keys(openDoc.document.components?.examples ?? {})).not.toEqual(
        expect.arrayContaining(['NoApiKey']),
      );
      expect(Object.keys(openDoc.document.components?.examples ?? {})).not.toEqual(
        expect.arrayContaining(['RateLimited']),
      );
      expect(openDoc.document.info.description).not.toMatch(/needs an API key/);
      expect(openDoc.document.info.description).toMatch(/open mode/);
    });

    it('declares what it answers without a key', async () => {
      const res = await open.http.post('/messages').send({ ...aMessageRequest(), recipients: [aRecipient.viber()] });
      expect(res.status).toBe(202);
      openDoc.expectDeclared('post', '/messages', res);
    });
  });
});
