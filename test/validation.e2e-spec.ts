import { randomUUID } from 'node:crypto';
import type { Response } from 'supertest';
import type { RecipientInput } from './support/factories';
import { aMessageRequest, aRecipient } from './support/factories';
import type { TestApp } from './support/test-app';
import { createTestApp } from './support/test-app';

/**
 * The validation contract of the API: every rule a request can break is answered with a 400 (or the
 * status named below) whose JSON names the offending field and the reason, and a refused request stores
 * nothing.
 */
describe('request validation', () => {
  let t: TestApp;
  beforeAll(async () => (t = await createTestApp()));
  afterAll(() => t.close());

  const DAY_MS = 24 * 60 * 60 * 1000;

  async function storedMessages(): Promise<number> {
    const [{ n }] = await t.sql<{ n: number }>('SELECT count(*)::int AS n FROM messages');
    return n;
  }

  /** The request minus one of its fields. */
  function without(request: Record<string, unknown>, field: string): Record<string, unknown> {
    const { [field]: _dropped, ...rest } = request;
    return rest;
  }

  /** `count` distinct valid recipients, spread over all three messengers. */
  function distinctRecipients(count: number): RecipientInput[] {
    const makers = [aRecipient.telegram, aRecipient.whatsapp, aRecipient.viber];
    const byKey = new Map<string, RecipientInput>();
    for (let i = 0; byKey.size < count; i++) {
      const recipient = makers[i % makers.length]();
      byKey.set(`${recipient.provider}:${recipient.recipient}`, recipient);
    }
    return [...byKey.values()];
  }

  function expectJsonError(res: Response, statusCode: number, code: unknown): void {
    expect(res.status).toBe(statusCode);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    expect(res.body).toMatchObject({ statusCode, code, message: expect.any(String) });
  }

  /** The answer is a VALIDATION_FAILED 400 naming `field` with a non-empty reason that matches `reason`. */
  function expectFieldError(res: Response, field: string, reason: RegExp = /\S/): void {
    expectJsonError(res, 400, 'VALIDATION_FAILED');
    expect(res.body.errors).toEqual(expect.arrayContaining([{ field, reason: expect.stringMatching(reason) }]));
  }

  /** POSTs a request that breaks a rule: 400 on `field`, and not one row more in the database. */
  async function expectRejected(request: unknown, field: string, reason?: RegExp): Promise<Response> {
    const before = await storedMessages();
    const res = await t.http.post('/messages').send(request as object);
    expectFieldError(res, field, reason);
    expect(await storedMessages()).toBe(before);
    return res;
  }

  /** POSTs a valid request: 202, one new row per recipient. */
  async function expectAccepted(request: Record<string, unknown>): Promise<Response> {
    const recipients = request.recipients as unknown[];
    const before = await storedMessages();
    const res = await t.http.post('/messages').send(request);
    expect(res.status).toBe(202);
    expect(res.body.messages).toHaveLength(recipients.length);
    expect(await storedMessages()).toBe(before + recipients.length);
    return res;
  }

  /** The body of the first message a POST answered, as GET shows it (the POST answer leaves it out). */
  async function storedBody(res: Response): Promise<string> {
    return (await t.http.get(`/messages/${res.body.messages[0].id}`).expect(200)).body.body;
  }

  describe('POST /messages: body', () => {
    it('is required', async () => {
      await expectRejected(without(aMessageRequest(), 'body'), 'body', /string/);
    });

    it.each([
      ['a number', 42],
      ['an object', { text: 'hello' }],
      ['null', null],
      ['an array', ['hello']],
    ])('must be a string, not %s', async (_, body) => {
      await expectRejected(aMessageRequest({ body }), 'body', /string/);
    });

    it.each([
      ['empty', ''],
      ['spaces only', '   '],
      ['whitespace only', ' \n\t\r '],
      ['zero-width spaces, a word joiner and a byte-order mark only', '\u200b\u2060\ufeff\u200b'],
    ])('must not be blank (%s)', async (_, body) => {
      await expectRejected(aMessageRequest({ body }), 'body', /must not be blank/);
    });

    it.each([
      ['telegram', 4097],
      ['whatsapp', 4097],
      ['viber', 7001],
    ] as const)('is refused when longer than %s allows (%i characters)', async (provider, length) => {
      const res = await expectRejected(
        aMessageRequest({ body: 'x'.repeat(length), recipients: [aRecipient[provider]()] }),
        'body',
        new RegExp(provider),
      );
      expect(res.body.errors.find((e: { field: string }) => e.field === 'body').reason).toContain(String(length));
    });

    it.each([
      ['telegram', 4096],
      ['whatsapp', 4096],
      ['viber', 7000],
    ] as const)('is accepted at exactly the %s limit (%i characters)', async (provider, length) => {
      const res = await expectAccepted(
        aMessageRequest({ body: 'x'.repeat(length), recipients: [aRecipient[provider]()] }),
      );
      expect(await storedBody(res)).toHaveLength(length);
    });

    it('must fit the strictest messenger of the request: 5000 characters fit viber but not telegram', async () => {
      const res = await expectRejected(
        aMessageRequest({ body: 'x'.repeat(5000), recipients: [aRecipient.viber(), aRecipient.telegram()] }),
        'body',
        /telegram allows 4096/,
      );
      expect(res.body.errors.find((e: { field: string }) => e.field === 'body').reason).not.toMatch(/viber/);
    });

    it('must not contain a NUL character, which cannot be stored', async () => {
      await expectRejected(aMessageRequest({ body: 'hello\u0000world' }), 'body');
    });

    it('counts characters (code points), not UTF-16 units: 4096 emoji fit telegram', async () => {
      const body = '😀'.repeat(4096);
      expect(body.length).toBe(8192);
      const res = await expectAccepted(aMessageRequest({ body, recipients: [aRecipient.telegram()] }));
      expect(await storedBody(res)).toBe(body);
    });

    it('counts characters (code points): 4097 emoji do not fit telegram', async () => {
      await expectRejected(
        aMessageRequest({ body: '😀'.repeat(4097), recipients: [aRecipient.telegram()] }),
        'body',
        /4097 characters.*telegram/,
      );
    });
  });

  describe('POST /messages: recipients', () => {
    it('are required', async () => {
      await expectRejected(without(aMessageRequest(), 'recipients'), 'recipients', /array/);
    });

    it.each([
      ['a string', 'telegram:123456789'],
      ['an object', { provider: 'telegram', recipient: '123456789' }],
      ['a number', 5],
      ['null', null],
    ])('must be an array, not %s', async (_, recipients) => {
      await expectRejected(aMessageRequest({ recipients }), 'recipients', /array/);
    });

    it('must not be empty', async () => {
      await expectRejected(aMessageRequest({ recipients: [] }), 'recipients', /at least one/);
    });

    it('may not be more than 1000', async () => {
      await expectRejected(aMessageRequest({ recipients: distinctRecipients(1001) }), 'recipients', /at most 1000/);
    });

    it('are refused before they are converted when the list is absurdly long (300,000 empty objects)', async () => {
      // Converted item by item first, this list held the event loop for seconds (class-transformer runs before ArrayMaxSize).
      await expectRejected(
        aMessageRequest({ recipients: Array.from({ length: 300_000 }, () => ({})) }),
        'recipients',
        /more than 10000/,
      );
    });

    it('may be exactly 1000, and each becomes a stored message', async () => {
      const request = aMessageRequest({ recipients: distinctRecipients(1000) });
      await expectAccepted(request);
      const [{ n }] = await t.sql<{ n: number }>('SELECT count(*)::int AS n FROM messages WHERE body = $1', [
        request.body,
      ]);
      expect(n).toBe(1000);
    });

    it.each([
      ['a string', '123456789'],
      ['a number', 123456789],
      ['null', null],
      ['an array holding a valid recipient', [aRecipient.telegram()]],
    ])('each must be an object, not %s', async (_, element) => {
      await expectRejected(
        aMessageRequest({ recipients: [aRecipient.telegram(), element] }),
        'recipients',
        /item 1 must be an object/,
      );
    });

    it('each needs a provider', async () => {
      await expectRejected(
        aMessageRequest({ recipients: [without({ ...aRecipient.telegram() }, 'provider')] }),
        'recipients[0].provider',
        /telegram, whatsapp, viber/,
      );
    });

    it('each needs a recipient', async () => {
      await expectRejected(
        aMessageRequest({ recipients: [without({ ...aRecipient.telegram() }, 'recipient')] }),
        'recipients[0].recipient',
      );
    });

    it.each(['sms', 'Telegram', '', 7])('the provider must be a known messenger, not %j', async (provider) => {
      await expectRejected(
        aMessageRequest({ recipients: [{ provider, recipient: '123456789' }] }),
        'recipients[0].provider',
        /telegram, whatsapp, viber/,
      );
    });

    it('may not list the same provider + recipient twice', async () => {
      const twice = aRecipient.telegram();
      await expectRejected(
        aMessageRequest({ recipients: [twice, aRecipient.viber(), { ...twice }] }),
        'recipients',
        /more than once/,
      );
    });

    it('may list the same recipient id on two different messengers', async () => {
      const { recipient } = aRecipient.telegram();
      const res = await expectAccepted(
        aMessageRequest({
          recipients: [
            { provider: 'telegram', recipient },
            { provider: 'viber', recipient },
          ],
        }),
      );
      expect(res.body.messages.map((m: { provider: string; recipient: string }) => [m.provider, m.recipient])).toEqual([
        ['telegram', recipient],
        ['viber', recipient],
      ]);
    });
  });

  describe('POST /messages: recipient formats', () => {
    it.each([
      ['telegram', '123456789'],
      ['telegram', '-1001234567890'],
      ['telegram', '@valid_name'],
      ['telegram', '@abcde'],
      ['telegram', '@' + 'a'.repeat(32)],
      ['whatsapp', '+4915112345678'],
      ['whatsapp', '+12345678'],
      ['whatsapp', '+123456789012345'],
      ['viber', 'a'],
      ['viber', 'abc=='],
      ['viber', '!'.repeat(64)],
      ['viber', 'a b'],
    ])('%s accepts %j', async (provider, recipient) => {
      const res = await expectAccepted(aMessageRequest({ recipients: [{ provider, recipient }] }));
      expect(res.body.messages[0]).toMatchObject({ provider, recipient, status: 'pending' });
    });

    it.each([
      ['telegram', '@abcd', 'username too short'],
      ['telegram', '@' + 'a'.repeat(33), 'username too long'],
      ['telegram', '@bad-name', 'username with a dash'],
      ['telegram', '12a', 'not an integer'],
      ['telegram', '0123', 'leading zero'],
      ['telegram', '', 'empty'],
      ['telegram', ' 123', 'leading space'],
      ['whatsapp', '4915112345678', 'no +'],
      ['whatsapp', '+0123456789', 'first digit 0'],
      ['whatsapp', '+1234567', '7 digits'],
      ['whatsapp', '+1234567890123456', '16 digits'],
      ['whatsapp', '+49 151 12345678', 'spaces'],
      ['viber', '', 'empty'],
      ['viber', 'a'.repeat(65), '65 characters'],
      ['viber', 'abc\ndef', 'a newline'],
      ['viber', ' abc', 'leading space'],
      ['viber', 'abc ', 'trailing space'],
      ['viber', 'abcé', 'non-ASCII'],
    ])('%s rejects %j (%s)', async (provider, recipient) => {
      await expectRejected(
        aMessageRequest({ recipients: [aRecipient.whatsapp(), { provider, recipient }] }),
        'recipients[1].recipient',
        new RegExp(`not a valid ${provider} recipient`),
      );
    });

    it.each(['telegram', 'whatsapp', 'viber'])(
      '%s rejects a recipient that is a number, not a string',
      async (provider) => {
        await expectRejected(
          aMessageRequest({ recipients: [{ provider, recipient: 4915112345678 }] }),
          'recipients[0].recipient',
          // Either reason is true of a number.
          new RegExp(`must be a string|not a valid ${provider} recipient`),
        );
      },
    );
  });

  describe('POST /messages: send_at', () => {
    it.each([
      ['without a time zone', '2026-12-01T09:00:00'],
      ['a date without a time', '2026-12-01'],
      ['not a date', 'not a date'],
      ['a day that does not exist', '2026-02-30T10:00:00Z'],
      ['an hour that does not exist', '2026-12-01T25:00:00Z'],
      ['a number', 1796115600000],
      ['an empty string', ''],
    ])('is refused when %s (%j)', async (_, sendAt) => {
      await expectRejected(aMessageRequest({ send_at: sendAt }), 'send_at', /ISO 8601 date and time with a time zone/);
    });

    it('is refused more than a year ahead', async () => {
      const sendAt = new Date(Date.now() + 400 * DAY_MS).toISOString();
      await expectRejected(aMessageRequest({ send_at: sendAt }), 'send_at', /a year/);
    });

    it('is accepted just under a year ahead, and the message waits for it', async () => {
      const sendAt = new Date(Date.now() + 360 * DAY_MS);
      sendAt.setUTCMilliseconds(0);
      const res = await expectAccepted(aMessageRequest({ send_at: sendAt.toISOString() }));
      expect(res.body.messages[0]).toMatchObject({
        send_at: sendAt.toISOString(),
        next_attempt_at: sendAt.toISOString(),
      });
    });

    it('is accepted in the past, and then the message is due now', async () => {
      const res = await expectAccepted(aMessageRequest({ send_at: '2020-01-01T00:00:00Z' }));
      const message = res.body.messages[0];
      expect(message.send_at).toBe('2020-01-01T00:00:00.000Z');
      const due = Date.parse(message.next_attempt_at);
      expect(due).toBeLessThanOrEqual(Date.now() + 1000);
      expect(due).toBeGreaterThan(Date.now() - 5000);
    });

    it('is accepted with a +03:00 offset and stored as the same instant', async () => {
      const instant = new Date(Date.now() + 30 * DAY_MS);
      instant.setUTCMilliseconds(0);
      // The same instant, written as local time at +03:00.
      const local = new Date(instant.getTime() + 3 * 60 * 60 * 1000).toISOString().slice(0, 19);
      const sendAt = `${local}+03:00`;
      const res = await expectAccepted(aMessageRequest({ send_at: sendAt }));
      const id = res.body.messages[0].id;
      expect(new Date(res.body.messages[0].send_at)).toEqual(instant);
      const [row] = await t.sql<{ send_at: Date }>('SELECT send_at FROM messages WHERE id = $1', [id]);
      expect(row.send_at).toEqual(instant);
      expect(new Date(row.send_at)).toEqual(new Date(sendAt));
    });
  });

  describe('POST /messages: unknown fields', () => {
    it('a top-level field that is not in the API is named', async () => {
      await expectRejected(aMessageRequest({ priority: 'high' }), 'priority', /should not exist/);
    });

    it('a recipient field that is not in the API is named with its path', async () => {
      await expectRejected(
        aMessageRequest({ recipients: [{ ...aRecipient.telegram(), extra: true }] }),
        'recipients[0].extra',
        /should not exist/,
      );
    });

    // Named like members every object inherits: class-transformer skips them and class-validator's whitelist
    // finds them in its own lookup table, so each of them once passed where `zz` did not.
    const OBJECT_MEMBER_NAMES = [
      'constructor',
      'toString',
      'valueOf',
      'hasOwnProperty',
      'isPrototypeOf',
      '__defineGetter__',
    ];

    it.each(OBJECT_MEMBER_NAMES)('a top-level field named %s is refused like any other unknown field', async (name) => {
      const res = await expectRejected(
        { ...aMessageRequest(), zz: 1, [name]: 1 },
        name,
        /^property \S+ should not exist$/,
      );
      expect(res.body.errors).toEqual(
        expect.arrayContaining([
          { field: 'zz', reason: 'property zz should not exist' },
          { field: name, reason: `property ${name} should not exist` },
        ]),
      );
    });

    it.each(OBJECT_MEMBER_NAMES)('a recipient field named %s is refused with its path', async (name) => {
      await expectRejected(
        aMessageRequest({ recipients: [aRecipient.viber(), { ...aRecipient.telegram(), [name]: 'x' }] }),
        `recipients[1].${name}`,
        new RegExp(`^property ${name} should not exist$`),
      );
    });
  });

  describe('POST /messages: not JSON', () => {
    it.each([
      ['cut short', '{"body":'],
      ['trailing comma', '{"body": "hi", "recipients": [],}'],
      ['not JSON at all', 'hello'],
    ])('malformed JSON (%s) is a 400 MALFORMED_JSON', async (_, raw) => {
      const before = await storedMessages();
      const res = await t.http.post('/messages').set('Content-Type', 'application/json').send(raw);
      expectJsonError(res, 400, 'MALFORMED_JSON');
      expect(await storedMessages()).toBe(before);
    });

    it('an empty body with a JSON content type is a 400', async () => {
      const before = await storedMessages();
      const res = await t.http.post('/messages').set('Content-Type', 'application/json').send('');
      expectJsonError(res, 400, expect.any(String));
      expect(await storedMessages()).toBe(before);
    });

    it('a text/plain body is a 415 JSON error', async () => {
      const before = await storedMessages();
      const res = await t.http
        .post('/messages')
        .set('Content-Type', 'text/plain')
        .send(JSON.stringify(aMessageRequest()));
      expectJsonError(res, 415, 'UNSUPPORTED_MEDIA_TYPE');
      expect(await storedMessages()).toBe(before);
    });
  });

  describe('POST /messages: several errors at once', () => {
    it('are all reported', async () => {
      const res = await expectRejected(
        aMessageRequest({
          body: '   ',
          recipients: [
            aRecipient.telegram(),
            { provider: 'telegram', recipient: '12a' },
            { provider: 'sms', recipient: '1' },
          ],
          send_at: 'tomorrow',
          priority: 1,
        }),
        'body',
        /must not be blank/,
      );
      expect(res.body.errors.map((e: { field: string }) => e.field).sort()).toEqual(
        ['body', 'priority', 'recipients[1].recipient', 'recipients[2].provider', 'send_at'].sort(),
      );
    });
  });

  describe('GET /messages/:id', () => {
    it.each(['not-a-uuid', '123', `${randomUUID()}x`])('a malformed id (%j) is a 400 on field id', async (id) => {
      const res = await t.http.get(`/messages/${encodeURIComponent(id)}`);
      expectFieldError(res, 'id', /UUID/);
    });

    it('an unknown id is a 404 MESSAGE_NOT_FOUND', async () => {
      const id = randomUUID();
      const res = await t.http.get(`/messages/${id}`);
      expectJsonError(res, 404, 'MESSAGE_NOT_FOUND');
      expect(res.body.message).toContain(id);
    });
  });

  describe('GET /messages query', () => {
    it.each([
      ['status=bogus', 'status', /pending, sending, sent, failed, cancelled/],
      ['provider=sms', 'provider', /telegram, whatsapp, viber/],
      ['limit=0', 'limit', /1/],
      ['limit=101', 'limit', /100/],
      ['limit=abc', 'limit', /integer/],
      ['limit=1.5', 'limit', /integer/],
      ['cursor=not-a-uuid', 'cursor', /next_cursor/],
      [`recipient=${'a'.repeat(65)}`, 'recipient', /64/],
      ['page=2', 'page', /should not exist/],
      ['constructor=1', 'constructor', /should not exist/],
      ['toString=1', 'toString', /should not exist/],
      ['valueOf=1', 'valueOf', /should not exist/],
      ['hasOwnProperty=1', 'hasOwnProperty', /should not exist/],
      ['__proto__=1', '__proto__', /should not exist/],
    ])('%s is a 400 on field %s', async (query, field, reason) => {
      const res = await t.http.get(`/messages?${query}`);
      expectFieldError(res, field, reason);
    });

    it.each(['limit=1', 'limit=100', 'status=pending&provider=viber'])('%s is fine', async (query) => {
      const res = await t.http.get(`/messages?${query}`);
      expect(res.status).toBe(200);
      expect(res.body.items).toEqual(expect.any(Array));
    });

    it('a well-formed cursor that no page gave is a 400 UNKNOWN_CURSOR', async () => {
      const res = await t.http.get(`/messages?cursor=${randomUUID()}`);
      expectJsonError(res, 400, 'UNKNOWN_CURSOR');
      expect(res.body.errors).toEqual([{ field: 'cursor', reason: expect.stringMatching(/next_cursor/) }]);
    });
  });

  describe('a refused request', () => {
    it('leaves an earlier accepted message as it was', async () => {
      const recipient = aRecipient.telegram();
      const accepted = aMessageRequest({ recipients: [recipient] });
      const res = await expectAccepted(accepted);
      const id = res.body.messages[0].id;
      const before = (await t.http.get(`/messages/${id}`).expect(200)).body;

      // The same recipient and body again, each time with one rule broken.
      await expectRejected({ ...accepted, send_at: 'tomorrow' }, 'send_at');
      await expectRejected({ ...accepted, priority: 'high' }, 'priority');
      await expectRejected({ ...accepted, recipients: [recipient, { ...recipient }] }, 'recipients', /more than once/);
      await expectRejected({ ...accepted, body: ' ' }, 'body', /blank/);
      await expectRejected({ ...accepted, recipients: [{ ...recipient, extra: 1 }] }, 'recipients[0].extra');

      const after = await t.http.get(`/messages/${id}`).expect(200);
      expect(after.body).toEqual(before);
      const rows = await t.sql('SELECT id FROM messages WHERE provider = $1 AND recipient = $2', [
        recipient.provider,
        recipient.recipient,
      ]);
      expect(rows).toEqual([{ id }]);
    });
  });
});
