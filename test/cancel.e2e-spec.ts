import { randomUUID } from 'node:crypto';
import { Agent } from 'node:http';
import request from 'supertest';
import type { MessageStatus } from '../src/messages/message-status';
import { MESSENGER_NAMES } from '../src/providers/messengers';
import type { RecipientInput } from './support/factories';
import { aMessageRequest, aRecipient } from './support/factories';
import { messageRow, postMessages } from './support/messages';
import { OpenApiDocument } from './support/openapi-document';
import type { Script } from './support/scripted-messenger';
import { failTransiently, succeed } from './support/scripted-messenger';
import type { TestApp } from './support/test-app';
import { createTestApp } from './support/test-app';

const failPermanently: Script = () => ({
  outcome: 'failed',
  code: '403',
  description: 'Forbidden: bot was blocked by the user',
});
const LEASE_SECONDS = 60;
// Retries wait minutes, as in production; tests make time pass by moving next_attempt_at.
const ENV = { RETRY_BASE_DELAY_MS: '60000', RETRY_MAX_DELAY_MS: '600000' };

describe('DELETE /messages/:id', () => {
  let t: TestApp;
  beforeAll(async () => (t = await createTestApp({ env: ENV })));
  afterAll(() => t.close());
  beforeEach(() => t.reset());

  const allCalls = (app: TestApp) => Object.values(app.messengers).flatMap((m) => m.calls.map((call) => call.id));

  describe('answers', () => {
    it('cancels a pending message: 200 with the message, cancelled and no longer due', async () => {
      const request = aMessageRequest();
      const [created] = (await t.http.post('/messages').send(request).expect(202)).body.messages;

      const res = await t.http.delete(`/messages/${created.id}`).expect(200);

      const { duplicate: _, ...message } = created;
      expect(res.body).toEqual({
        ...message,
        body: request.body,
        status: 'cancelled',
        next_attempt_at: null,
        updated_at: expect.any(String),
      });
      expect(Date.parse(res.body.updated_at)).toBeGreaterThanOrEqual(Date.parse(created.updated_at as string));
      expect((await t.http.get(`/messages/${created.id}`).expect(200)).body).toEqual(res.body);
    });

    it('cancels a message that waits for a retry, and it is not tried again', async () => {
      t.messengers.telegram.script = failTransiently;
      const [created] = await postMessages(t);
      await t.dispatch.dispatchDue();
      expect((await messageRow(t, created.id)).status).toBe('pending');

      await t.http.delete(`/messages/${created.id}`).expect(200);
      t.messengers.telegram.script = succeed;
      await t.sql(`UPDATE messages SET next_attempt_at = now() WHERE id = $1`, [created.id]);
      await t.dispatch.dispatchDue();

      expect(t.messengers.telegram.callsFor(created.id)).toHaveLength(1);
      expect((await messageRow(t, created.id)).status).toBe('cancelled');
    });

    it.each<[string, (id: string) => Promise<unknown>, MessageStatus]>([
      ['claimed by a worker', () => t.dispatchRepository.claimDue('telegram', 10, LEASE_SECONDS), 'sending'],
      ['sent', () => t.dispatch.dispatchDue(), 'sent'],
      [
        'failed',
        () => {
          t.messengers.telegram.script = failPermanently;
          return t.dispatch.dispatchDue();
        },
        'failed',
      ],
      ['already cancelled', (id) => t.http.delete(`/messages/${id}`).expect(200), 'cancelled'],
    ])(
      'refuses a message %s: 409 MESSAGE_NOT_CANCELLABLE naming its status, and leaves it as it is',
      async (_, arrange, status) => {
        const [created] = await postMessages(t);
        await arrange(created.id);
        expect((await messageRow(t, created.id)).status).toBe(status);

        const res = await t.http.delete(`/messages/${created.id}`).expect(409);

        const message = `Only a pending message can be cancelled; this one is ${status}`;
        expect(res.body).toEqual({
          statusCode: 409,
          code: 'MESSAGE_NOT_CANCELLABLE',
          message,
          errors: [{ field: 'id', reason: message }],
        });
        expect((await messageRow(t, created.id)).status).toBe(status);
      },
    );

    it('answers 404 MESSAGE_NOT_FOUND for an unknown id', async () => {
      const id = randomUUID();
      const res = await t.http.delete(`/messages/${id}`).expect(404);
      expect(res.body).toMatchObject({
        statusCode: 404,
        code: 'MESSAGE_NOT_FOUND',
        message: `No message has id ${id}`,
      });
    });

    it('answers 400 naming the id when it is not a UUID', async () => {
      const res = await t.http.delete('/messages/not-a-uuid').expect(400);
      expect(res.body).toEqual({
        statusCode: 400,
        code: 'VALIDATION_FAILED',
        message: 'id: must be a UUID',
        errors: [{ field: 'id', reason: 'must be a UUID' }],
      });
    });

    it('is documented with an example for each answer', async () => {
      const doc = new OpenApiDocument((await t.http.get('/docs-json').expect(200)).body);
      const examples = (status: number) => doc.examples('delete', '/messages/{id}', status).map(({ value }) => value);
      expect(examples(200)).toEqual([expect.objectContaining({ status: 'cancelled', next_attempt_at: null })]);
      expect(examples(400)).toContainEqual(expect.objectContaining({ code: 'VALIDATION_FAILED' }));
      expect(examples(404)).toEqual([expect.objectContaining({ code: 'MESSAGE_NOT_FOUND' })]);
      expect(examples(409)).toEqual([expect.objectContaining({ code: 'MESSAGE_NOT_CANCELLABLE' })]);
      expect(examples(503)).toContainEqual(expect.objectContaining({ code: 'DATABASE_UNAVAILABLE' }));
    });
  });

  describe('delivery', () => {
    it('never delivers a cancelled message; the others of its request go out', async () => {
      const recipients = [aRecipient.telegram(), aRecipient.whatsapp(), aRecipient.viber()];
      const [keep, cancel, alsoCancel] = await postMessages(t, { recipients });
      await t.http.delete(`/messages/${cancel.id}`).expect(200);
      await t.http.delete(`/messages/${alsoCancel.id}`).expect(200);

      const summary = await t.dispatch.dispatchDue();

      expect(summary).toMatchObject({ claimed: 1, sent: 1 });
      expect(allCalls(t)).toEqual([keep.id]);
      expect((await messageRow(t, cancel.id)).status).toBe('cancelled');
      expect((await messageRow(t, alsoCancel.id)).attempts).toBe(0);
    });

    it('lets the same body be queued to the same recipient again once cancelled', async () => {
      const requestBody = aMessageRequest();
      const first = (await t.http.post('/messages').send(requestBody).expect(202)).body.messages[0];
      await t.http.delete(`/messages/${first.id}`).expect(200);

      const again = (await t.http.post('/messages').send(requestBody).expect(202)).body.messages[0];
      await t.dispatch.dispatchDue();

      expect(again).toMatchObject({ duplicate: false, status: 'pending' });
      expect(again.id).not.toBe(first.id);
      expect(allCalls(t)).toEqual([again.id]);
    });
  });

  describe('racing the dispatcher', () => {
    const ROUNDS = 3;
    const MESSAGES = 500;
    let other: TestApp;
    let server: ReturnType<typeof request>;
    // Kept-alive connections: the cancels then reach the database about as fast as the claims do.
    const agent = new Agent({ keepAlive: true, maxSockets: 32 });
    beforeAll(async () => {
      other = await createTestApp({ database: t.database, env: ENV });
      // A listening server of its own: 500 requests at once through supertest's server-per-request
      // would open and close the listener under each other.
      await t.app.listen(0, '127.0.0.1');
      server = request(await t.app.getUrl());
    });
    afterAll(async () => {
      agent.destroy();
      await other.close();
    });

    /** Claims this messenger's due rows one at a time until `done()` and nothing is left to claim. */
    async function claimLoop(
      app: TestApp,
      provider: (typeof MESSENGER_NAMES)[number],
      done: () => boolean,
    ): Promise<string[]> {
      const claimed: string[] = [];
      for (let i = 0; i < 100_000; i++) {
        const batch = await app.dispatchRepository.claimDue(provider, 1, LEASE_SECONDS);
        claimed.push(...batch.map((c) => c.message.id));
        if (batch.length === 0 && done()) return claimed;
      }
      throw new Error('claim loop did not finish');
    }

    it.each(Array.from({ length: ROUNDS }, (_, i) => i + 1))(
      'round %i: each of 500 messages is either cancelled (200) or claimed (409), never both, never neither',
      async () => {
        for (const app of [t, other]) for (const messenger of Object.values(app.messengers)) messenger.calls.length = 0;
        const makers = [aRecipient.telegram, aRecipient.whatsapp, aRecipient.viber];
        const recipients: RecipientInput[] = Array.from({ length: MESSAGES }, (_, i) => makers[i % 3]());
        const ids: string[] = (await postMessages(t, { recipients })).map((m) => m.id);

        let cancelsDone = false;
        let aCancelAnswered!: () => void;
        const firstCancel = new Promise<void>((resolve) => (aCancelAnswered = resolve));
        const cancels = Promise.all(
          ids.map((id) =>
            server
              .delete(`/messages/${id}`)
              .agent(agent)
              .then((answer) => (aCancelAnswered(), answer)),
          ),
        ).finally(() => (cancelsDone = true));
        // The claims start once the cancels are under way, so that on a busy machine they can't take every
        // message before the first cancel arrives: the rest is a race, which both sides must win some of.
        await firstCancel;
        const claims = Promise.all(
          [t, other].flatMap((app) => MESSENGER_NAMES.map((provider) => claimLoop(app, provider, () => cancelsDone))),
        );
        const [answers, claimedPerLoop] = await Promise.all([cancels, claims]);

        const claimed = claimedPerLoop.flat();
        const cancelled = ids.filter((_, i) => answers[i].status === 200);
        const refused = ids.filter((_, i) => answers[i].status === 409);
        // Every cancel answered one of the two, and the two sides split the messages between them.
        expect(cancelled.length + refused.length).toBe(MESSAGES);
        expect(new Set(claimed).size).toBe(claimed.length);
        expect(new Set([...cancelled, ...claimed]).size).toBe(MESSAGES);
        expect(cancelled.length + claimed.length).toBe(MESSAGES);
        expect(new Set(refused)).toEqual(new Set(claimed));
        for (const i of ids.keys()) {
          if (answers[i].status === 409)
            expect(answers[i].body.message).toBe('Only a pending message can be cancelled; this one is sending');
        }
        const rows = await t.sql<{ id: string; status: MessageStatus }>(
          'SELECT id, status FROM messages WHERE id = ANY($1)',
          [ids],
        );
        const claimedSet = new Set(claimed);
        for (const row of rows) expect(row.status).toBe(claimedSet.has(row.id) ? 'sending' : 'cancelled');

        // The claimed ones go out once their (simulated) leases run out; the cancelled ones never do.
        await t.sql(`UPDATE messages SET next_attempt_at = now() WHERE id = ANY($1) AND status = 'sending'`, [ids]);
        await Promise.all([t.dispatch.dispatchDue(), other.dispatch.dispatchDue()]);
        const delivered = [...allCalls(t), ...allCalls(other)];
        const cancelledSet = new Set(cancelled);
        expect(delivered.filter((id) => cancelledSet.has(id))).toEqual([]);
        expect(new Set(delivered)).toEqual(claimedSet);
        expect(delivered).toHaveLength(claimed.length);
        expect(
          await t.sql(`SELECT id FROM messages WHERE id = ANY($1) AND status NOT IN ('sent', 'cancelled')`, [ids]),
        ).toEqual([]);
        // Both sides must have won some, or there was no race to prove anything.
        expect(cancelled.length).toBeGreaterThan(0);
        expect(claimed.length).toBeGreaterThan(0);
      },
    );
  });
});
