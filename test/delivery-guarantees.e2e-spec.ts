import type { OutgoingMessage, SendResult } from '../src/providers/messenger-provider';
import { aMessageRequest, aRecipient } from './support/factories';
import { postMessageIds } from './support/messages';
import { failTransiently, succeed } from './support/scripted-messenger';
import type { TestApp } from './support/test-app';
import { createTestApp } from './support/test-app';

const LONG_BACKOFF = { RETRY_BASE_DELAY_MS: '60000', RETRY_MAX_DELAY_MS: '600000' };

describe('Delivery guarantees', () => {
  describe('a lost answer', () => {
    let t: TestApp;
    beforeAll(
      async () =>
        (t = await createTestApp({
          realEmulators: true,
          // Every accepted send loses its answer: the dispatcher times out although the messenger delivered.
          // The repeat's answer (an inbox lookup) has to come within the timeout on a loaded machine too.
          env: { EMULATOR_LOST_ANSWER_RATE: '1', DISPATCH_SEND_TIMEOUT_MS: '2000', ...LONG_BACKOFF },
        })),
    );
    afterAll(() => t.close());

    it('is retried under the same idempotency key, and the messenger delivers nothing new', async () => {
      const recipients = [aRecipient.telegram(), aRecipient.whatsapp(), aRecipient.viber()];
      const ids = await postMessageIds(t, { recipients });

      await t.dispatch.dispatchDue();
      const afterTimeout = await t.sql<{ status: string; last_error_code: string }>(
        'SELECT status, last_error_code FROM messages WHERE id = ANY($1)',
        [ids],
      );
      expect(afterTimeout.every((m) => m.status === 'pending' && m.last_error_code === 'timeout')).toBe(true);

      await t.sql(`UPDATE messages SET next_attempt_at = now() WHERE id = ANY($1)`, [ids]);
      await t.dispatch.dispatchDue();

      const inbox = await t.sql<{ idempotency_key: string; provider_message_id: string }>(
        'SELECT idempotency_key, provider_message_id FROM emulator_inbox WHERE idempotency_key = ANY($1)',
        [ids],
      );
      expect(inbox.map((d) => d.idempotency_key).sort()).toEqual([...ids].sort());
      for (const id of ids) {
        const message = (await t.http.get(`/messages/${id}`).expect(200)).body;
        expect(message).toMatchObject({ status: 'sent', attempts: 2 });
        // The answer to the repeat is the original delivery's.
        expect(message.provider_message_id).toBe(inbox.find((d) => d.idempotency_key === id)!.provider_message_id);
      }
    });

    it('shows up in the messenger’s inbox, which GET /emulators/:provider/inbox serves', async () => {
      const recipient = aRecipient.viber();
      const request = aMessageRequest({ recipients: [recipient] });
      const res = await t.http.post('/messages').send(request).expect(202);
      await t.dispatch.dispatchDue();

      const inbox = await t.http.get('/emulators/viber/inbox').query({ recipient: recipient.recipient }).expect(200);

      expect(inbox.body.items).toEqual([
        expect.objectContaining({
          idempotency_key: res.body.messages[0].id,
          recipient: recipient.recipient,
          body: request.body,
        }),
      ]);
      await t.http.get('/emulators/sms/inbox').expect(400);
    });
  });

  describe('a worker that stops', () => {
    it('finishes the sends in flight and hands the rest of its batch back at once', async () => {
      const worker = await createTestApp({ env: { DISPATCH_CONCURRENCY: '2', DISPATCH_BATCH_SIZE: '10' } });
      const other = await createTestApp({ database: worker.database });
      try {
        const inFlight: (() => void)[] = [];
        worker.messengers.telegram.script = (message: OutgoingMessage) =>
          new Promise<SendResult>((resolve) => inFlight.push(() => resolve(succeed(message, 0))));
        const res = await worker.http
          .post('/messages')
          .send(aMessageRequest({ recipients: Array.from({ length: 10 }, () => aRecipient.telegram()) }))
          .expect(202);
        const ids: string[] = res.body.messages.map((m: { id: string }) => m.id);

        const draining = worker.dispatch.dispatchDue();
        while (inFlight.length < 2) await new Promise((r) => setImmediate(r));
        const stopped = worker.dispatch.stop();
        inFlight.forEach((release) => release());
        await Promise.all([draining, stopped]);

        const rows = await worker.sql<{
          status: string;
          attempts: number;
          locked_until: Date | null;
          due_now: boolean;
        }>(
          'SELECT status, attempts, locked_until, next_attempt_at <= now() AS due_now FROM messages WHERE id = ANY($1)',
          [ids],
        );
        expect(rows.filter((r) => r.status === 'sent')).toHaveLength(2);
        const handedBack = rows.filter((r) => r.status === 'pending');
        expect(handedBack).toHaveLength(8);
        expect(handedBack.every((r) => r.attempts === 0 && r.locked_until === null && r.due_now)).toBe(true);

        // Another worker takes them straight away: no lease to wait out.
        expect(await other.dispatch.dispatchDue()).toMatchObject({ sent: 8 });
      } finally {
        await other.close();
        await worker.close();
      }
    });
  });

  describe('DISPATCH_ORDERING=per_recipient', () => {
    let t: TestApp;
    beforeAll(async () => (t = await createTestApp({ env: { DISPATCH_ORDERING: 'per_recipient', ...LONG_BACKOFF } })));
    afterAll(() => t.close());
    beforeEach(() => {
      t.messengers.telegram.calls.length = 0;
      t.messengers.telegram.script = succeed;
    });

    const queue = async (recipient: { provider: string; recipient: string }, count: number, sendAt?: string) => {
      const ids: string[] = [];
      for (let i = 0; i < count; i++) {
        ids.push(...(await postMessageIds(t, { recipients: [recipient], ...(sendAt && { send_at: sendAt }) })));
      }
      return ids;
    };

    it('holds later messages to a recipient while an earlier one waits for its retry, and not other recipients', async () => {
      const blocked = aRecipient.telegram();
      const other = aRecipient.telegram();
      const [first, second, third] = await queue(blocked, 3);
      const [unrelated] = await queue(other, 1);
      t.messengers.telegram.script = (message, call) =>
        message.id === first && call === 1 ? failTransiently(message, call) : succeed(message, call);

      await t.dispatch.dispatchDue();

      expect(t.messengers.telegram.calls.map((c) => c.id)).toEqual(expect.arrayContaining([first, unrelated]));
      expect(t.messengers.telegram.callsFor(second)).toHaveLength(0);
      expect(t.messengers.telegram.callsFor(third)).toHaveLength(0);

      await t.sql(`UPDATE messages SET next_attempt_at = now() WHERE id = $1`, [first]);
      await t.dispatch.dispatchDue();

      const toBlocked = t.messengers.telegram.calls.filter((c) => c.recipient === blocked.recipient).map((c) => c.id);
      expect(toBlocked).toEqual([first, first, second, third]);
    });

    it('orders by send_at first, then by acceptance', async () => {
      const recipient = aRecipient.telegram();
      const [later] = await queue(recipient, 1, new Date(Date.now() - 60_000).toISOString());
      const [earlier] = await queue(recipient, 1, new Date(Date.now() - 120_000).toISOString());

      await t.dispatch.dispatchDue();

      expect(t.messengers.telegram.calls.filter((c) => c.recipient === recipient.recipient).map((c) => c.id)).toEqual([
        earlier,
        later,
      ]);
    });

    it('lets a failed message stop holding the line', async () => {
      const recipient = aRecipient.telegram();
      const [doomed, next] = await queue(recipient, 2);
      t.messengers.telegram.script = (message, call) =>
        message.id === doomed
          ? { outcome: 'failed', code: '403', description: 'Forbidden: bot was blocked by the user' }
          : succeed(message, call);

      await t.dispatch.dispatchDue();

      expect(t.messengers.telegram.calls.map((c) => c.id)).toEqual([doomed, next]);
    });
  });
});
