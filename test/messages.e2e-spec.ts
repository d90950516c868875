import { createHash, randomInt } from 'node:crypto';
import { MessageIngest } from '../src/messages/message-ingest';
import { aMessageRequest, aRecipient } from './support/factories';
import { postMessageIds } from './support/messages';
import type { TestApp } from './support/test-app';
import { createTestApp } from './support/test-app';

describe('Messages API', () => {
  let t: TestApp;
  beforeAll(async () => (t = await createTestApp()));
  afterAll(() => t.close());

  const countRows = async (where = 'true', params: unknown[] = []) =>
    (await t.sql<{ n: number }>(`SELECT count(*)::int AS n FROM messages WHERE ${where}`, params))[0].n;

  describe('POST /messages', () => {
    it('queues one message per recipient, in request order, and answers 202 with each', async () => {
      const recipients = [aRecipient.viber(), aRecipient.telegram(), aRecipient.whatsapp()];
      const request = aMessageRequest({ recipients, send_at: '2026-12-01T09:00:00+03:00' });

      const res = await t.http.post('/messages').send(request).expect(202);

      expect(res.body.messages).toHaveLength(3);
      res.body.messages.forEach((message: Record<string, unknown>, i: number) => {
        expect(message).toEqual({
          id: expect.stringMatching(/^[0-9a-f-]{36}$/),
          provider: recipients[i].provider,
          recipient: recipients[i].recipient,
          status: 'pending',
          send_at: '2026-12-01T06:00:00.000Z',
          next_attempt_at: expect.any(String),
          retries_count: 0,
          attempts: 0,
          last_error: null,
          last_error_code: null,
          provider_message_id: null,
          sent_at: null,
          callback_url: null,
          created_at: expect.any(String),
          updated_at: expect.any(String),
          duplicate: false,
        });
      });
      expect(await countRows('body = $1', [request.body])).toBe(3);
    });

    it('answers a repeated request with the existing messages, 200 and duplicate: true, storing nothing new', async () => {
      const request = aMessageRequest({ recipients: [aRecipient.telegram(), aRecipient.whatsapp()] });
      const first = await t.http.post('/messages').send(request).expect(202);

      const again = await t.http.post('/messages').send(request).expect(200);

      expect(again.body.messages.map((m: { id: string }) => m.id)).toEqual(
        first.body.messages.map((m: { id: string }) => m.id),
      );
      expect(again.body.messages.every((m: { duplicate: boolean }) => m.duplicate)).toBe(true);
      expect(await countRows('body = $1', [request.body])).toBe(2);
    });

    it('queues the new recipients of a partly repeated request (202) and flags the others', async () => {
      const known = aRecipient.telegram();
      const fresh = aRecipient.viber();
      const body = aMessageRequest().body;
      await t.http
        .post('/messages')
        .send({ body, recipients: [known] })
        .expect(202);

      const res = await t.http
        .post('/messages')
        .send({ body, recipients: [fresh, known] })
        .expect(202);

      expect(res.body.messages.map((m: { duplicate: boolean }) => m.duplicate)).toEqual([false, true]);
      expect(await countRows('body = $1', [body])).toBe(2);
    });

    it('treats the same body to the same id on another messenger as a different message', async () => {
      const body = aMessageRequest().body;
      const id = '123456789';
      await t.http
        .post('/messages')
        .send({ body, recipients: [{ provider: 'telegram', recipient: id }] })
        .expect(202);

      const res = await t.http
        .post('/messages')
        .send({ body, recipients: [{ provider: 'viber', recipient: id }] })
        .expect(202);

      expect(res.body.messages[0].duplicate).toBe(false);
    });

    it('treats another body to the same recipient as a different message', async () => {
      const recipient = aRecipient.whatsapp();
      await t.http
        .post('/messages')
        .send(aMessageRequest({ recipients: [recipient] }))
        .expect(202);
      await t.http
        .post('/messages')
        .send(aMessageRequest({ recipients: [recipient] }))
        .expect(202);

      expect(await countRows('recipient = $1', [recipient.recipient])).toBe(2);
    });

    it('creates exactly one row when the same request arrives many times at once', async () => {
      const request = aMessageRequest({ recipients: [aRecipient.telegram(), aRecipient.viber()] });

      const answers = await Promise.all(Array.from({ length: 20 }, () => t.http.post('/messages').send(request)));

      expect(await countRows('body = $1', [request.body])).toBe(2);
      expect(answers.filter((a) => a.status === 202)).toHaveLength(1);
      expect(answers.filter((a) => a.status === 200)).toHaveLength(19);
      const ids = new Set(answers.flatMap((a) => a.body.messages.map((m: { id: string }) => m.id)));
      expect(ids.size).toBe(2);
    });

    it('lets concurrent requests with overlapping recipients each get every recipient exactly once', async () => {
      const body = aMessageRequest().body;
      const shared = [aRecipient.telegram(), aRecipient.whatsapp(), aRecipient.viber()];
      const requests = Array.from({ length: 8 }, () => ({
        body,
        recipients: [...shared, aRecipient.telegram()].reverse(),
      }));

      const answers = await Promise.all(requests.map((r) => t.http.post('/messages').send(r)));

      expect(answers.every((a) => a.status === 202)).toBe(true);
      expect(await countRows('body = $1', [body])).toBe(3 + 8);
      for (const recipient of shared) {
        const ids = new Set(
          answers.flatMap((a) =>
            a.body.messages
              .filter((m: { recipient: string }) => m.recipient === recipient.recipient)
              .map((m: { id: string }) => m.id),
          ),
        );
        expect(ids.size).toBe(1);
      }
    });

    it('never deadlocks when concurrent requests list shared recipients in different orders', async () => {
      // Straight to the repositories of separate app instances (separate pools and batches, as separate
      // API processes would be): over HTTP, validation spaces the statements out and hides the race.
      const others = await Promise.all([1, 2, 3].map(() => createTestApp({ database: t.database })));
      try {
        const body = `${aMessageRequest().body}`;
        const bodyHash = createHash('sha256').update(body).digest();
        const shared = Array.from({ length: 1000 }, () => aRecipient.viber()) as {
          provider: 'viber';
          recipient: string;
        }[];
        const orders = [
          shared,
          [...shared].reverse(),
          shared.slice(500).concat(shared.slice(0, 500)),
          [...shared].reverse(),
        ];
        const apps = [t, ...others];

        const results = await Promise.allSettled(
          orders.map((recipients, i) =>
            apps[i].app.get(MessageIngest).insertMany({ client: 'default', body, bodyHash, sendAt: null, recipients }),
          ),
        );

        expect(results.filter((r) => r.status === 'rejected')).toEqual([]);
        expect(await countRows('body = $1', [body])).toBe(1000);
      } finally {
        await Promise.all(others.map((o) => o.close()));
      }
    });

    it('answers each of several requests batched into one statement as if it had come alone', async () => {
      const ingest = t.app.get(MessageIngest);
      const shared = aRecipient.telegram();
      const body = `${aMessageRequest().body}`;
      const bodyHash = createHash('sha256').update(body).digest();
      const other = aRecipient.whatsapp();

      // Called in one turn of the event loop: one batch, one INSERT.
      const [first, second, third] = await Promise.all([
        ingest.insertMany({ client: 'default', body, bodyHash, sendAt: null, recipients: [shared] as never }),
        ingest.insertMany({ client: 'default', body, bodyHash, sendAt: null, recipients: [shared, other] as never }),
        ingest.insertMany({
          client: 'default',
          body: `${body}!`,
          bodyHash: createHash('sha256').update(`${body}!`).digest(),
          sendAt: null,
          recipients: [shared] as never,
        }),
      ]);

      expect(first.map((m) => m.duplicate)).toEqual([false]);
      expect(second.map((m) => m.duplicate)).toEqual([true, false]);
      expect(second[0].message.id).toBe(first[0].message.id);
      expect(third.map((m) => m.duplicate)).toEqual([false]);
      expect(third[0].message.body).toBe(`${body}!`);
    });

    it('queues the body again once the earlier message was cancelled', async () => {
      const request = aMessageRequest();
      const first = await t.http.post('/messages').send(request).expect(202);
      await t.http.delete(`/messages/${first.body.messages[0].id}`).expect(200);

      const again = await t.http.post('/messages').send(request).expect(202);

      expect(again.body.messages[0].duplicate).toBe(false);
      expect(again.body.messages[0].id).not.toBe(first.body.messages[0].id);
    });

    it('treats Telegram @usernames case-insensitively, as Telegram does', async () => {
      const body = aMessageRequest().body;
      const first = await t.http
        .post('/messages')
        .send({ body, recipients: [{ provider: 'telegram', recipient: '@Order_Bot_Fan' }] })
        .expect(202);

      const again = await t.http
        .post('/messages')
        .send({ body, recipients: [{ provider: 'telegram', recipient: '@order_bot_fan' }] })
        .expect(200);

      expect(first.body.messages[0].recipient).toBe('@order_bot_fan');
      expect(again.body.messages[0]).toMatchObject({ id: first.body.messages[0].id, duplicate: true });
    });

    it('answers a form-encoded body with 415: the API speaks JSON only', async () => {
      const res = await t.http.post('/messages').type('form').send('body=hi').expect(415);
      expect(res.body).toMatchObject({ statusCode: 415, code: 'UNSUPPORTED_MEDIA_TYPE' });
    });

    it.each([
      ['without send_at', {}],
      ['with send_at: null', { send_at: null }],
    ])('makes a message %s due now', async (_, sendAt) => {
      const before = Date.now();
      const res = await t.http.post('/messages').send(aMessageRequest(sendAt)).expect(202);
      const { send_at, next_attempt_at } = res.body.messages[0];
      expect(Date.parse(send_at)).toBeGreaterThanOrEqual(before - 1000);
      expect(next_attempt_at).toBe(send_at);
    });
  });

  describe('GET /messages/:id', () => {
    it('returns the message with its delivery state', async () => {
      const request = aMessageRequest();
      const created = (await t.http.post('/messages').send(request).expect(202)).body.messages[0];

      const res = await t.http.get(`/messages/${created.id}`).expect(200);

      // The POST answer is the message without its body, which GET adds.
      const { duplicate, ...message } = created;
      expect(duplicate).toBe(false);
      expect(res.body).toEqual({ ...message, body: request.body });
    });
  });

  describe('GET /messages', () => {
    let recipient: { provider: string; recipient: string };
    let ids: string[];

    beforeAll(async () => {
      // Five messages to one recipient, created one request at a time: newest last.
      recipient = aRecipient.telegram();
      ids = [];
      for (let i = 0; i < 5; i++) {
        const res = await t.http
          .post('/messages')
          .send(aMessageRequest({ recipients: [recipient] }))
          .expect(202);
        ids.push(res.body.messages[0].id);
      }
    });

    it('lists newest first, filtered by recipient', async () => {
      const res = await t.http.get('/messages').query({ recipient: recipient.recipient }).expect(200);
      expect(res.body.items.map((m: { id: string }) => m.id)).toEqual([...ids].reverse());
      expect(res.body.next_cursor).toBeNull();
    });

    it('pages with next_cursor until every message was seen exactly once', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      for (let page = 0; page < 10; page++) {
        const query: Record<string, unknown> = { recipient: recipient.recipient, limit: 2, ...(cursor && { cursor }) };
        const res = await t.http.get('/messages').query(query).expect(200);
        seen.push(...res.body.items.map((m: { id: string }) => m.id));
        cursor = res.body.next_cursor;
        if (!cursor) break;
      }
      expect(seen).toEqual([...ids].reverse());
    });

    it('keeps later pages stable when new messages arrive between pages', async () => {
      const first = await t.http.get('/messages').query({ recipient: recipient.recipient, limit: 2 }).expect(200);
      await t.http
        .post('/messages')
        .send(aMessageRequest({ recipients: [recipient] }))
        .expect(202);

      const second = await t.http
        .get('/messages')
        .query({ recipient: recipient.recipient, limit: 2, cursor: first.body.next_cursor })
        .expect(200);

      expect(second.body.items.map((m: { id: string }) => m.id)).toEqual([ids[2], ids[1]]);
    });

    it('pages through rows created by one request (same created_at) without losing any', async () => {
      const recipients = Array.from({ length: 7 }, () => aRecipient.whatsapp());
      const body = aMessageRequest().body;
      await t.http.post('/messages').send({ body, recipients }).expect(202);

      const seen = new Set<string>();
      let cursor: string | null = null;
      for (let page = 0; page < 10; page++) {
        const query: Record<string, unknown> = { provider: 'whatsapp', limit: 3, ...(cursor && { cursor }) };
        const res = await t.http.get('/messages').query(query).expect(200);
        res.body.items.filter((m: { body: string }) => m.body === body).forEach((m: { id: string }) => seen.add(m.id));
        cursor = res.body.next_cursor;
        if (!cursor) break;
      }
      expect(seen.size).toBe(7);
    });

    describe('by recipient, matched as each messenger stores it', () => {
      // One name in three spellings: Telegram stores usernames lower-cased, Viber ids as given.
      const name = `@Fan_${randomInt(1e6, 1e7)}`;
      let telegram: string;
      let viberAsGiven: string;
      beforeAll(async () => {
        [telegram] = await postMessageIds(t, { recipients: [{ provider: 'telegram', recipient: name }] });
        [viberAsGiven] = await postMessageIds(t, { recipients: [{ provider: 'viber', recipient: name }] });
        await postMessageIds(t, { recipients: [{ provider: 'viber', recipient: name.toLowerCase() }] });
      });
      const listed = async (query: Record<string, string>) =>
        (await t.http.get('/messages').query(query).expect(200)).body.items.map((m: { id: string }) => m.id);

      it('finds a Telegram @username in any case, as Telegram does', async () => {
        expect(await listed({ recipient: name.toUpperCase(), provider: 'telegram' })).toEqual([telegram]);
      });

      it('matches each messenger its own way when no provider is given', async () => {
        expect(await listed({ recipient: name })).toEqual([viberAsGiven, telegram]);
      });

      it('keeps case-sensitive ids case-sensitive', async () => {
        expect(await listed({ recipient: name, provider: 'viber' })).toEqual([viberAsGiven]);
      });
    });

    it('filters by status and provider', async () => {
      const res = await t.http
        .get('/messages')
        .query({ status: 'pending', provider: 'telegram', limit: 100 })
        .expect(200);
      expect(res.body.items.length).toBeGreaterThan(0);
      expect(
        res.body.items.every(
          (m: { status: string; provider: string }) => m.status === 'pending' && m.provider === 'telegram',
        ),
      ).toBe(true);
    });
  });

  describe('GET /docs-json', () => {
    it('documents every endpoint', async () => {
      const res = await t.http.get('/docs-json').expect(200);
      const messagePaths = Object.keys(res.body.paths).filter((path) => path.startsWith('/messages'));
      expect(messagePaths.sort()).toEqual([
        '/messages',
        '/messages/{id}',
        '/messages/{id}/attempts',
        '/messages/{id}/callbacks',
        '/messages/{id}/retry',
      ]);
      expect(Object.keys(res.body.paths['/messages'])).toEqual(expect.arrayContaining(['get', 'post']));
      expect(Object.keys(res.body.paths['/messages/{id}'])).toEqual(expect.arrayContaining(['get', 'delete']));
    });
  });
});
