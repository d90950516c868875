import { setTimeout as sleep } from 'node:timers/promises';
import type { DispatchSummary } from '../src/dispatch/dispatch.service';
import { SharedPacer } from '../src/dispatch/shared-pacer';
import { MESSENGER_PROVIDERS, type MessengerProvider } from '../src/providers/messenger-provider';
import { aMessageRequest, aRecipient } from './support/factories';
import type { TestApp } from './support/test-app';
import { createTestApp } from './support/test-app';

/**
 * Three dispatchers (three apps, each with its own connections, as three workers would be) drain one
 * Telegram lane at once, through one emulator at Telegram's real limits, so the emulator answers 429 to
 * whatever the three send together beyond them. Paced each on its own, they would send three times the
 * limit; sharing the lane's slots in PostgreSQL, they keep it together.
 */
describe('Pacing shared by workers', () => {
  const env = {
    DISPATCH_PACING: 'on',
    EMULATOR_TELEGRAM: 'limit=30/1000,recipient_interval_ms=1000',
    EMULATOR_LATENCY_MS: '5',
  };
  let workers: TestApp[];
  beforeAll(async () => {
    const first = await createTestApp({ realEmulators: true, env });
    const providers = first.app.get<MessengerProvider[]>(MESSENGER_PROVIDERS);
    workers = [first];
    for (let i = 0; i < 2; i++) workers.push(await createTestApp({ database: first.database, providers, env }));
  });
  afterAll(async () => {
    for (const worker of workers.slice(1)) await worker.close();
    await workers[0]?.close();
  });
  const sql = <T>(text: string, params?: unknown[]) => workers[0].sql<T>(text, params);

  /** Every worker drains at once, again and again, until nothing is queued: by the real clock (pacing is about time). */
  const drainTogether = (timeoutMs: number): Promise<DispatchSummary[]> => {
    const deadline = Date.now() + timeoutMs;
    return Promise.all(
      workers.map(async (worker) => {
        const total = { claimed: 0, sent: 0 } as DispatchSummary;
        for (;;) {
          const summary = await worker.dispatch.dispatchDue(['telegram']);
          total.claimed += summary.claimed;
          total.sent += summary.sent;
          const [{ n }] = await worker.sql<{ n: number }>(
            `SELECT count(*)::int AS n FROM messages WHERE status IN ('pending', 'sending')`,
          );
          if (n === 0) return total;
          if (Date.now() > deadline) throw new Error(`${n} messages still queued after ${timeoutMs} ms`);
          await sleep(50); // deferred messages wait for their recipient's interval: a real-time condition
        }
      }),
    );
  };

  it('keeps one account’s limits across three workers: almost no 429s, a second between messages to a chat', async () => {
    const chats = Array.from({ length: 10 }, () => aRecipient.telegram());
    const others = Array.from({ length: 120 }, () => aRecipient.telegram());
    // 150 messages: 120 chats get one, 10 chats get three (each body once: the same body twice is a duplicate).
    await workers[0].http
      .post('/messages')
      .send(aMessageRequest({ recipients: [...others, ...chats] }))
      .expect(202);
    for (let i = 0; i < 2; i++)
      await workers[0].http
        .post('/messages')
        .send(aMessageRequest({ recipients: chats }))
        .expect(202);

    const summaries = await drainTogether(90_000);

    const sends = await sql<{ recipient: string; at: Date }>(
      `SELECT m.recipient, a.started_at AS at FROM message_attempts a JOIN messages m ON m.id = a.message_id
       WHERE a.outcome = 'sent' ORDER BY a.started_at`,
    );
    expect(sends).toHaveLength(150);
    const [{ n: throttled }] = await sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM message_attempts WHERE outcome = 'rate_limited'`,
    );
    // Per-process pacing earns about 100. A few get through shared pacing on a loaded machine: sends 35 ms
    // apart leave about 50 ms for late timers and the emulator's latency spread before a 31st lands in a second.
    expect(throttled).toBeLessThanOrEqual(8);

    // Each worker sent a share: the lane was theirs together, not one worker's.
    expect(summaries.map((s) => s.sent).every((sent) => sent > 0)).toBe(true);

    const times = sends.map((s) => s.at.getTime());
    // At 30 a second, 150 sends span at least 4 s; three workers pacing each on its own took under 2 s.
    expect(times[times.length - 1] - times[0]).toBeGreaterThanOrEqual(4000);
    // No second holds more than the limit (a send may leave up to 50 ms after its slot: one more at most).
    const busiest = Math.max(...times.map((start) => times.filter((at) => at >= start && at < start + 1000).length));
    expect(busiest).toBeLessThanOrEqual(31);
    // Each chat's three messages went a second apart, whichever workers sent them.
    for (const chat of chats) {
      const at = sends.filter((s) => s.recipient === chat.recipient).map((s) => s.at.getTime());
      expect(at).toHaveLength(3);
      expect(Math.min(at[1] - at[0], at[2] - at[1])).toBeGreaterThanOrEqual(950);
    }
  }, 180_000);

  it('never books one slot twice, however many workers claim at the same moment', async () => {
    await workers[0].reset();
    await sql(`UPDATE dispatch_lanes SET next_slot_at = now()`);
    const recipients = Array.from({ length: 60 }, () => aRecipient.telegram());
    await workers[0].http.post('/messages').send(aMessageRequest({ recipients })).expect(202);

    const claims = await Promise.all(
      workers.map((worker) =>
        worker.app.get(SharedPacer).claim({ provider: 'telegram', sender: null }, 100, 2000, 60, false),
      ),
    );

    const slots = claims
      .flatMap((claim) => ('slots' in claim ? claim.slots : []))
      .map((slot) => ('sendAt' in slot ? slot.sendAt : NaN))
      .sort((a, b) => a - b);
    // The lane had two seconds of room (57 slots at 28.5 a second): the claims share them, and the
    // workers that came later were told to wait rather than given slots of their own.
    expect(slots).toHaveLength(57);
    for (let i = 1; i < slots.length; i++) expect(slots[i] - slots[i - 1]).toBeGreaterThanOrEqual(34);
    expect(claims.filter((claim) => 'waitMs' in claim)).toHaveLength(2);
  });

  it('deletes recipients whose interval is over as it books new ones', async () => {
    await workers[0].reset();
    await sql(`DELETE FROM dispatch_recipients`);
    await sql(
      `INSERT INTO dispatch_recipients (provider, sender, recipient, free_at)
       SELECT 'telegram', '', 'old-' || i, now() - interval '1 minute' FROM generate_series(1, 300) AS i`,
    );
    await sql(`UPDATE dispatch_lanes SET next_slot_at = now()`);
    const recipients = Array.from({ length: 20 }, () => aRecipient.telegram());
    await workers[0].http.post('/messages').send(aMessageRequest({ recipients })).expect(202);

    await workers[0].app.get(SharedPacer).claim({ provider: 'telegram', sender: null }, 100, 2000, 60, false);

    const [{ expired, booked }] = await sql<{ expired: number; booked: number }>(
      `SELECT count(*) FILTER (WHERE free_at <= now())::int AS expired, count(*) FILTER (WHERE free_at > now())::int AS booked
       FROM dispatch_recipients`,
    );
    expect(booked).toBe(20);
    // Twice as many expired entries as it booked, and ten more: the table shrinks back after a burst.
    expect(expired).toBe(300 - 50);
  });
});
