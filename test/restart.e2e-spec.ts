import { aMessageRequest, aRecipient } from './support/factories';
import { PROCESS_SPEC_TIMEOUT_MS, ServiceProcess, waitFor } from './support/service-process';
import type { TestApp } from './support/test-app';
import { createTestApp } from './support/test-app';

jest.setTimeout(PROCESS_SPEC_TIMEOUT_MS);

/**
 * The worker as a real process: killed mid-batch it loses nothing, stopped with SIGTERM it finishes the
 * batch in hand and exits 0.
 */
describe('A worker process', () => {
  let t: TestApp;
  const workers: ServiceProcess[] = [];
  beforeAll(async () => (t = await createTestApp()));
  afterEach(async () => {
    for (const worker of workers.splice(0)) {
      worker.kill('SIGKILL');
      await worker.exited;
    }
  });
  afterAll(() => t.close());

  const startWorker = (env: Record<string, string> = {}) => {
    const worker = new ServiceProcess({
      DATABASE_URL: t.database.url,
      APP_ROLE: 'worker',
      DISPATCH_CRON: '* * * * * *',
      EMULATOR_FAILURE_RATE: '0',
      EMULATOR_RATE_LIMITED_RATE: '0',
      EMULATOR_PERMANENT_RATE: '0',
      EMULATOR_LATENCY_MS: '300',
      DISPATCH_BATCH_SIZE: '8',
      DISPATCH_CONCURRENCY: '4',
      // Emulated latency has a long tail (up to 10× the median): the timeout stays clear of it.
      DISPATCH_SEND_TIMEOUT_MS: '2500',
      DISPATCH_LEASE_SECONDS: '6',
      ...env,
    });
    workers.push(worker);
    return worker;
  };
  const countBy = async (body: string) => {
    const rows = await t.sql<{ status: string; n: number }>(
      'SELECT status, count(*)::int AS n FROM messages WHERE body = $1 GROUP BY status',
      [body],
    );
    return Object.fromEntries(rows.map((r) => [r.status, r.n])) as Record<string, number | undefined>;
  };

  it('killed with SIGKILL mid-batch and restarted, delivers every message', async () => {
    const { body } = aMessageRequest();
    await t.http
      .post('/messages')
      .send({ body, recipients: Array.from({ length: 40 }, () => aRecipient.telegram()) })
      .expect(202);
    const first = startWorker();
    await waitFor('a batch is sent and the next one is in flight', async () => {
      const counts = await countBy(body);
      return (counts.sent ?? 0) > 0 && (counts.sending ?? 0) > 0;
    });

    first.kill('SIGKILL');
    await first.exited;
    const interrupted = await t.sql<{ id: string }>(`SELECT id FROM messages WHERE body = $1 AND status = 'sending'`, [
      body,
    ]);
    expect(interrupted.length).toBeGreaterThan(0);

    const second = startWorker();
    await waitFor('every message is sent', async () => (await countBy(body)).sent === 40);

    const rows = await t.sql<{ attempts: number; retries_count: number }>(
      'SELECT attempts, retries_count FROM messages WHERE id = ANY($1)',
      [interrupted.map((r) => r.id)],
    );
    // Each interrupted message was claimed again once its lease ran out, the lost attempt counted as a retry.
    expect(rows.every((r) => r.attempts === 2 && r.retries_count === 1)).toBe(true);
    expect(second.events('delivery_attempt').length).toBeGreaterThanOrEqual(interrupted.length);
  });

  it('stopped with SIGTERM, finishes its sends in flight, hands the rest back and exits 0', async () => {
    const { body } = aMessageRequest();
    await t.http
      .post('/messages')
      .send({ body, recipients: Array.from({ length: 24 }, () => aRecipient.viber()) })
      .expect(202);
    const worker = startWorker({
      EMULATOR_LATENCY_MS: '600',
      DISPATCH_CONCURRENCY: '8',
      DISPATCH_SEND_TIMEOUT_MS: '10000',
      DISPATCH_LEASE_SECONDS: '60',
    });
    // Paced, a claimed batch waits for its send slots: a row seen 'sending' may not have gone out yet, and a
    // SIGTERM then hands every row back unsent. One answered send means the batch's others are in flight.
    await worker.waitFor(
      'a send has been answered, the batch’s others in flight',
      () => worker.events('delivery_attempt').length > 0,
    );

    worker.kill('SIGTERM');

    expect(await worker.exited).toBe(0);
    const counts = await countBy(body);
    expect(counts.sending).toBeUndefined();
    expect(counts.sent).toBeGreaterThanOrEqual(1);
    expect((counts.sent ?? 0) + (counts.pending ?? 0)).toBe(24);
    // What it had claimed but not sent went back unclaimed, due at once: no lease to wait out.
    const [{ n }] = await t.sql<{ n: number }>(
      `SELECT count(*)::int AS n FROM messages WHERE body = $1 AND status = 'pending' AND (attempts <> 0 OR locked_until IS NOT NULL OR next_attempt_at > now())`,
      [body],
    );
    expect(n).toBe(0);
  });

  it('wakes on new work and on a send_at coming due, without waiting for its sweep', async () => {
    // An hourly sweep: anything sent within a minute was sent because the worker was woken. The bounds
    // leave room for a loaded machine; the wake-ups themselves take milliseconds.
    const worker = startWorker({ DISPATCH_CRON: '0 0 * * * *', EMULATOR_LATENCY_MS: '0' });
    await worker.waitFor('the worker is up', () => worker.lines.some((l) => l.includes('role worker')));
    await worker.waitFor(
      'the worker listens',
      async () =>
        (
          await t.sql<{ n: number }>(
            `SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = current_database() AND query ILIKE 'LISTEN%'`,
          )
        )[0].n > 0,
    );

    const { body } = aMessageRequest();
    await t.http
      .post('/messages')
      .send({ body, recipients: [aRecipient.telegram()] })
      .expect(202);
    await worker.waitFor('the immediate message is sent', async () => (await countBy(body)).sent === 1, 30_000);

    const scheduled = aMessageRequest();
    const sendAt = new Date(Date.now() + 1500);
    await t.http
      .post('/messages')
      .send({ ...scheduled, send_at: sendAt.toISOString() })
      .expect(202);
    await worker.waitFor(
      'the scheduled message is sent',
      async () => (await countBy(scheduled.body)).sent === 1,
      30_000,
    );
    const [{ sent_at }] = await t.sql<{ sent_at: Date }>('SELECT sent_at FROM messages WHERE body = $1', [
      scheduled.body,
    ]);
    expect(sent_at.getTime()).toBeGreaterThanOrEqual(sendAt.getTime());
    expect(sent_at.getTime() - sendAt.getTime()).toBeLessThan(30_000);
  });

  it('logs every delivery attempt as one JSON line, its fields flat: message id, provider, outcome, latency', async () => {
    const { body } = aMessageRequest();
    const created = await t.http
      .post('/messages')
      .send({ body, recipients: [aRecipient.whatsapp()] })
      .expect(202);
    const worker = startWorker({ EMULATOR_LATENCY_MS: '0' });
    await waitFor('the message is sent', async () => (await countBy(body)).sent === 1);

    const attempt = worker.events('delivery_attempt').find((e) => e.messageId === created.body.messages[0].id);
    expect(attempt).toEqual(
      expect.objectContaining({
        level: 30,
        context: 'DispatchService',
        provider: 'whatsapp',
        outcome: 'sent',
        latencyMs: expect.any(Number),
        retriesCount: 0,
        bodyLength: body.length,
      }),
    );
    // The body is on no line at all: only its length is.
    expect(worker.lines.join('\n')).not.toContain(body);
  });
});
