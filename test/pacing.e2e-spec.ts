import { setTimeout as sleep } from 'node:timers/promises';
import { aMessageRequest, aRecipient } from './support/factories';
import type { TestApp } from './support/test-app';
import { createTestApp } from './support/test-app';

/**
 * The dispatcher paces itself under each messenger's limits, which the emulators enforce. Telegram's
 * limit is scaled up (200/s instead of 30/s) so that a 1,000-message burst takes seconds, not a minute;
 * `npm run burst` runs the real limits.
 */
describe('Pacing', () => {
  let t: TestApp;
  beforeAll(
    async () =>
      (t = await createTestApp({
        realEmulators: true,
        env: {
          DISPATCH_PACING: 'on',
          DISPATCH_RATE_TELEGRAM: '190',
          EMULATOR_TELEGRAM: 'limit=200/1000,recipient_interval_ms=1000',
          EMULATOR_LATENCY_MS: '5',
        },
      })),
  );
  afterAll(() => t.close());

  /** Dispatches until every message is sent or failed, by the real clock (pacing is about time); bounded. */
  const dispatchUntilSettled = async (timeoutMs: number) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await t.dispatch.dispatchDue();
      const [{ n }] = await t.sql<{ n: number }>(
        `SELECT count(*)::int AS n FROM messages WHERE status IN ('pending', 'sending')`,
      );
      if (n === 0) return;
      if (Date.now() > deadline) throw new Error(`${n} messages still queued after ${timeoutMs} ms`);
      await sleep(50); // deferred messages wait for their recipient's interval: a real-time condition
    }
  };

  it('delivers a burst at the messenger rate with almost no 429s, and other messengers are not held up', async () => {
    const burstRequest = aMessageRequest({ recipients: Array.from({ length: 1000 }, () => aRecipient.telegram()) });
    const viberRequest = aMessageRequest({ recipients: Array.from({ length: 60 }, () => aRecipient.viber()) });
    await t.http.post('/messages').send(burstRequest).expect(202);
    await t.http.post('/messages').send(viberRequest).expect(202);

    // About 5 s on an idle machine; a loaded one paces the same, yet gets through the work slower.
    await dispatchUntilSettled(60_000);

    const sentAt = async (body: string) =>
      (
        await t.sql<{ at: Date }>(
          `SELECT sent_at AS at FROM messages WHERE body = $1 AND status = 'sent' ORDER BY sent_at`,
          [body],
        )
      ).map((r) => r.at.getTime());
    const telegram = await sentAt(burstRequest.body);
    const viberSent = await sentAt(viberRequest.body);
    expect(telegram).toHaveLength(1000);
    expect(viberSent).toHaveLength(60);

    const [{ n: throttled }] = await t.sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM message_attempts WHERE outcome = 'rate_limited'`,
    );
    // The emulator keeps the limit on its own clock, at each request's arrival, and answers 429 to any request
    // past it: at most 1% of the burst. (sent_at is stamped when the answer is back in this process, and
    // answers bunch up whenever the event loop stalls, so a window over sent_at measures the machine's load,
    // not the pacing.)
    expect(throttled).toBeLessThanOrEqual(10);
    // At 190/s the burst takes about 5 s; Viber's 60 went out during it, not after it (about 2 s in, when
    // the machine is idle).
    expect(telegram[999] - telegram[0]).toBeGreaterThan(4000);
    expect(viberSent[59]).toBeLessThan(telegram[999]);
  }, 120_000);

  it('spaces messages to one chat by its interval instead of collecting 429s', async () => {
    const chat = aRecipient.telegram();
    for (let i = 0; i < 4; i++) {
      await t.http
        .post('/messages')
        .send(aMessageRequest({ recipients: [chat] }))
        .expect(202);
    }

    await dispatchUntilSettled(15_000);

    const rows = await t.sql<{ at: Date; attempts: number }>(
      `SELECT sent_at AS at, attempts FROM messages WHERE recipient = $1 AND status = 'sent' ORDER BY sent_at`,
      [chat.recipient],
    );
    expect(rows).toHaveLength(4);
    for (let i = 1; i < rows.length; i++) {
      expect(rows[i].at.getTime() - rows[i - 1].at.getTime()).toBeGreaterThanOrEqual(950);
    }
    // Put aside and picked up again, never refused: one attempt each.
    expect(rows.every((r) => r.attempts === 1)).toBe(true);
  });
});
