import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type EmulatorServer, startEmulatorServer } from './support/emulator-server';
import { aMessageRequest, aRecipient } from './support/factories';
import { waitFor } from './support/service-process';
import { createTestApp, type TestApp } from './support/test-app';

const KEYS = { billing: 'billing-secret-0123456789abcdef', shop: 'shop-secret-0123456789abcdef' } as const;
const as = (client: keyof typeof KEYS) => ({ Authorization: `Bearer ${KEYS[client]}` });

/**
 * Each sender account is a lane of its own: paced at its own rate (`rate_per_second`), side by side with the
 * others, so a slow account never holds up a fast one. Both bots deliver over HTTP to the emulator server,
 * which keeps Telegram's real limit (30 a second) for each bot on its own.
 */
describe('Sender accounts as lanes of their own', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sender-lanes-'));
  let server: EmulatorServer;
  let t: TestApp;

  beforeAll(async () => {
    server = await startEmulatorServer({ EMULATOR_TELEGRAM: 'limit=30/1000', EMULATOR_LATENCY_MS: '5' });
    const file = join(dir, 'senders.json');
    writeFileSync(
      file,
      JSON.stringify([
        {
          client: 'billing',
          provider: 'telegram',
          name: 'slow-bot',
          token: '1001:AAE-slow-bot',
          base_url: server.url,
          rate_per_second: 1,
        },
        {
          client: 'shop',
          provider: 'telegram',
          name: 'fast-bot',
          token: '1002:AAE-fast-bot',
          base_url: server.url,
          rate_per_second: 20,
        },
      ]),
    );
    t = await createTestApp({
      env: {
        API_KEYS: Object.entries(KEYS)
          .map(([client, secret]) => `${client}:${secret}`)
          .join(','),
        SENDERS_FILE: file,
        DISPATCH_PACING: 'on',
        // A worker as deployed: woken by each accepted message and by each lane's next due time (the hourly
        // sweep never comes in this spec).
        APP_ROLE: 'all',
        DISPATCH_CRON: '0 0 * * * *',
      },
    });
  });

  afterAll(async () => {
    await t?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const sentAt = async (sender: string) =>
    (
      await t.sql<{ at: Date }>(
        `SELECT sent_at AS at FROM messages WHERE sender = $1 AND status = 'sent' ORDER BY sent_at`,
        [sender],
      )
    ).map((row) => row.at.getTime());

  it("paces each account at its own rate, side by side: the slow one doesn't hold up the fast one", async () => {
    const slow = aMessageRequest({ recipients: Array.from({ length: 8 }, () => aRecipient.telegram()) });
    const fast = aMessageRequest({ recipients: Array.from({ length: 40 }, () => aRecipient.telegram()) });
    await t.http.post('/messages').set(as('billing')).send(slow).expect(202);
    await t.http.post('/messages').set(as('shop')).send(fast).expect(202);

    await waitFor('every message is sent', async () => {
      const [{ n }] = await t.sql<{ n: number }>(`SELECT count(*)::int AS n FROM messages WHERE status <> 'sent'`);
      return n === 0;
    });

    const slowSent = await sentAt('slow-bot');
    const fastSent = await sentAt('fast-bot');
    expect(slowSent).toHaveLength(8);
    expect(fastSent).toHaveLength(40);
    // One a second: eight sends span seven seconds (at the fast bot's 20/s they would take a third of one).
    expect(slowSent[7] - slowSent[0]).toBeGreaterThan(6500);
    // The fast bot's 40 went out at its own 20 a second (about 2 s, not the messenger's 28.5/s), while the
    // slow one was still sending.
    expect(fastSent[39] - fastSent[0]).toBeGreaterThan(1700);
    expect(fastSent[39]).toBeLessThan(slowSent[7]);
    // Each bot's lane kept its pace across claims, in PostgreSQL.
    const lanes = await t.sql<{ sender: string }>(
      `SELECT sender FROM dispatch_lanes WHERE provider = 'telegram' ORDER BY sender`,
    );
    expect(lanes.map((lane) => lane.sender)).toEqual(expect.arrayContaining(['fast-bot', 'slow-bot']));
    // Neither bot went over its limit on the server.
    const [{ n: throttled }] = await t.sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM message_attempts WHERE outcome = 'rate_limited'`,
    );
    expect(throttled).toBe(0);
  }, 90_000);
});
