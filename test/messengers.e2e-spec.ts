import { TELEGRAM_TEST_RECIPIENTS } from '../src/providers/telegram/telegram-bot-api.emulator';
import { VIBER_TEST_RECIPIENTS } from '../src/providers/viber/viber-rest-api.emulator';
import { WHATSAPP_TEST_RECIPIENTS } from '../src/providers/whatsapp/whatsapp-cloud-api.emulator';
import { aMessageRequest, aRecipient } from './support/factories';
import type { TestApp } from './support/test-app';
import { createTestApp } from './support/test-app';

const MAX_RETRIES = 2;

/** Where each documented test recipient must end up, driven through the whole service and the real emulators. */
const EXPECTED: Record<string, { status: string; code: string | null; history: string[] }> = {
  // Telegram
  '1000000200': { status: 'sent', code: null, history: ['sent'] },
  '1000000403': { status: 'failed', code: '403', history: ['failed'] },
  '1000000404': { status: 'failed', code: '400', history: ['failed'] },
  '1000000410': { status: 'failed', code: '403', history: ['failed'] },
  '1000000429': { status: 'sent', code: '429', history: ['rate_limited', 'rate_limited', 'sent'] },
  '1000000502': { status: 'sent', code: '502', history: ['retry', 'retry', 'sent'] },
  '1000000504': { status: 'failed', code: 'timeout', history: ['retry', 'retry', 'failed'] },
  // WhatsApp
  '+15550000200': { status: 'sent', code: null, history: ['sent'] },
  '+15550131026': { status: 'failed', code: '131026', history: ['failed'] },
  '+15550131047': { status: 'failed', code: '131047', history: ['failed'] },
  '+15550131056': { status: 'sent', code: '131056', history: ['rate_limited', 'rate_limited', 'sent'] },
  '+15550131000': { status: 'sent', code: '131000', history: ['retry', 'retry', 'sent'] },
  '+15550000504': { status: 'failed', code: 'timeout', history: ['retry', 'retry', 'failed'] },
  // Viber
  'test-ok': { status: 'sent', code: null, history: ['sent'] },
  'test-not-registered': { status: 'failed', code: '5', history: ['failed'] },
  'test-not-subscribed': { status: 'failed', code: '6', history: ['failed'] },
  'test-no-device': { status: 'failed', code: '11', history: ['failed'] },
  'test-rate-limited': { status: 'sent', code: '12', history: ['rate_limited', 'rate_limited', 'sent'] },
  'test-timeout': { status: 'failed', code: 'timeout', history: ['retry', 'retry', 'failed'] },
};

const TEST_RECIPIENTS = [
  ...TELEGRAM_TEST_RECIPIENTS.map((t) => ({ provider: 'telegram', recipient: t.recipient })),
  ...WHATSAPP_TEST_RECIPIENTS.map((t) => ({ provider: 'whatsapp', recipient: t.recipient })),
  ...VIBER_TEST_RECIPIENTS.map((t) => ({ provider: 'viber', recipient: t.recipient })),
];

interface AttemptRow {
  message_id: string;
  attempt: number;
  outcome: string;
}

describe('Messengers, through the whole service', () => {
  let t: TestApp;
  beforeAll(
    async () =>
      (t = await createTestApp({
        realEmulators: true,
        env: {
          MAX_RETRIES: String(MAX_RETRIES),
          // The hanging test recipients wait this out on each attempt; an answering emulator (latency 0) must
          // beat it even on a loaded machine, where 100 ms was not always enough.
          DISPATCH_SEND_TIMEOUT_MS: '2000',
          // Random failures on: test recipients must not care.
          EMULATOR_FAILURE_RATE: '0.3',
          EMULATOR_SEED: '11',
          // The emulators' own per-recipient limits would throttle the repeats this spec makes at once.
          EMULATOR_TELEGRAM: 'recipient_interval_ms=0',
          EMULATOR_WHATSAPP: 'recipient_interval_ms=0',
        },
      })),
  );
  afterAll(() => t.close());

  /** Runs the queue the way ticks would, skipping backoffs, until nothing is pending; bounded. */
  const settleAll = async () => {
    for (let tick = 0; tick < 20; tick++) {
      await t.dispatch.dispatchDue();
      const [{ n }] = await t.sql<{ n: number }>(
        `SELECT count(*)::int AS n FROM messages WHERE status IN ('pending', 'sending')`,
      );
      if (n === 0) return;
      await t.sql(`UPDATE messages SET next_attempt_at = now() WHERE status = 'pending'`);
    }
    throw new Error('the queue did not settle in 20 ticks');
  };

  it('documents an outcome for every test recipient', () => {
    expect(TEST_RECIPIENTS.map((r) => r.recipient).sort()).toEqual(Object.keys(EXPECTED).sort());
  });

  describe('each test recipient', () => {
    let ids: Map<string, string>;
    beforeAll(async () => {
      const res = await t.http
        .post('/messages')
        .send(aMessageRequest({ recipients: TEST_RECIPIENTS }))
        .expect(202);
      ids = new Map(res.body.messages.map((m: { recipient: string; id: string }) => [m.recipient, m.id]));
      await settleAll();
    });

    it.each(Object.entries(EXPECTED))('%s ends as documented', async (recipient, expected) => {
      const id = ids.get(recipient)!;
      const message = (await t.http.get(`/messages/${id}`).expect(200)).body;
      const attempts = (await t.http.get(`/messages/${id}/attempts`).expect(200)).body.items;

      expect(message.status).toBe(expected.status);
      expect(message.last_error_code).toBe(expected.code);
      expect(attempts.map((a: { outcome: string }) => a.outcome)).toEqual(expected.history);
      expect(message.attempts).toBe(expected.history.length);
      expect(message.retries_count).toBe(expected.history.filter((o) => o === 'retry').length);
      if (expected.status === 'sent') expect(message.provider_message_id).toBeTruthy();
    });
  });

  it('keeps the attempt history in step with attempts and retries_count for every message', async () => {
    const makers = [aRecipient.telegram, aRecipient.whatsapp, aRecipient.viber];
    const recipients = Array.from({ length: 60 }, (_, i) => makers[i % 3]());
    await t.http.post('/messages').send(aMessageRequest({ recipients })).expect(202);
    await settleAll();

    const messages = await t.sql<{ id: string; attempts: number; retries_count: number }>(
      'SELECT id, attempts, retries_count FROM messages',
    );
    const history = await t.sql<AttemptRow>(
      'SELECT message_id, attempt, outcome FROM message_attempts ORDER BY message_id, attempt',
    );
    for (const message of messages) {
      const own = history.filter((h) => h.message_id === message.id);
      expect({ id: message.id, attempts: own.map((h) => h.attempt) }).toEqual({
        id: message.id,
        attempts: Array.from({ length: message.attempts }, (_, i) => i + 1),
      });
      expect(own.filter((h) => h.outcome === 'retry' || h.outcome === 'lost')).toHaveLength(message.retries_count);
    }
    // With a 30% transient failure rate some messages needed retries: the check above had work to do.
    expect(messages.some((m) => m.retries_count > 0)).toBe(true);
  });

  describe('POST /messages/:id/retry', () => {
    it('puts a failed message back in the queue with a fresh retry budget, and its history goes on', async () => {
      const res = await t.http
        .post('/messages')
        .send(aMessageRequest({ recipients: [{ provider: 'viber', recipient: 'test-not-registered' }] }))
        .expect(202);
      const id = res.body.messages[0].id;
      await settleAll();

      const requeued = await t.http.post(`/messages/${id}/retry`).expect(202);
      expect(requeued.body).toMatchObject({ id, status: 'pending', retries_count: 0, attempts: 1 });
      await settleAll();

      const attempts = (await t.http.get(`/messages/${id}/attempts`).expect(200)).body.items;
      expect(attempts.map((a: { attempt: number; outcome: string }) => [a.attempt, a.outcome])).toEqual([
        [1, 'failed'],
        [2, 'failed'],
      ]);
    });

    it('refuses a message that is not failed with 409, and an unknown one with 404', async () => {
      const res = await t.http
        .post('/messages')
        .send(aMessageRequest({ recipients: [{ provider: 'viber', recipient: 'test-ok' }] }))
        .expect(202);
      const id = res.body.messages[0].id;

      const pending = await t.http.post(`/messages/${id}/retry`).expect(409);
      expect(pending.body).toMatchObject({
        code: 'MESSAGE_NOT_RETRYABLE',
        message: expect.stringContaining('pending'),
      });
      await settleAll();
      await t.http.post(`/messages/${id}/retry`).expect(409);
      await t.http.post('/messages/0b5c3f7e-8d2a-4c1e-9f5a-2a1d6b7c8e90/retry').expect(404);
      await t.http.get('/messages/0b5c3f7e-8d2a-4c1e-9f5a-2a1d6b7c8e90/attempts').expect(404);
    });
  });
});
