import { aWebhookSecret, CallbackReceiver } from './support/callback-receiver';
import { aMessageRequest, aRecipient } from './support/factories';
import { PROCESS_SPEC_TIMEOUT_MS, ServiceProcess, waitFor } from './support/service-process';
import { createTestApp, type TestApp } from './support/test-app';

jest.setTimeout(PROCESS_SPEC_TIMEOUT_MS);

/**
 * The callbacks' worker as a real process (APP_ROLE=worker): it delivers without being asked, and killed with
 * SIGKILL while requests are in flight it loses no event: once the lease runs out, the next worker delivers
 * them again (at least once).
 */
describe('The callbacks worker process', () => {
  const secret = aWebhookSecret();
  let t: TestApp;
  let receiver: CallbackReceiver;
  const workers: ServiceProcess[] = [];

  beforeAll(async () => {
    receiver = await new CallbackReceiver().start();
    t = await createTestApp({
      env: { CALLBACK_SECRETS: `default:${secret}`, CALLBACK_ALLOW_PRIVATE_NETWORKS: 'true' },
    });
  });
  afterEach(async () => {
    for (const worker of workers.splice(0)) {
      worker.kill('SIGKILL');
      await worker.exited;
    }
  });
  afterAll(async () => {
    await t.close();
    await receiver.close();
  });

  const startWorker = () => {
    const worker = new ServiceProcess({
      DATABASE_URL: t.database.url,
      APP_ROLE: 'worker',
      DISPATCH_CRON: '* * * * * *',
      DISPATCH_LEASE_SECONDS: '10',
      DISPATCH_SEND_TIMEOUT_MS: '1000',
      EMULATOR_FAILURE_RATE: '0',
      EMULATOR_RATE_LIMITED_RATE: '0',
      EMULATOR_PERMANENT_RATE: '0',
      EMULATOR_LATENCY_MS: '0',
      CALLBACK_SECRETS: `default:${secret}`,
      CALLBACK_ALLOW_PRIVATE_NETWORKS: 'true',
      CALLBACK_POLL_INTERVAL_MS: '100',
      CALLBACK_TIMEOUT_MS: '2000',
      CALLBACK_LEASE_MS: '4000',
      CALLBACK_RETRY_BASE_DELAY_MS: '50',
      CALLBACK_BATCH_SIZE: '4',
    });
    workers.push(worker);
    return worker;
  };
  const states = async () =>
    Object.fromEntries(
      (
        await t.sql<{ state: string; n: number }>(
          'SELECT state, count(*)::int AS n FROM callback_events GROUP BY state',
        )
      ).map((row) => [row.state, row.n]),
    ) as Record<string, number | undefined>;

  it('killed with SIGKILL mid-delivery, loses no callback: the next worker delivers every one', async () => {
    // The first worker's requests get no answer: they are in flight when it is killed.
    receiver.answer = () => 'hang';
    const { body } = aMessageRequest();
    const posted = await t.http
      .post('/messages')
      .send({
        body,
        recipients: Array.from({ length: 12 }, () => aRecipient.telegram()),
        callback_url: `${receiver.url}/hooks`,
      })
      .expect(202);
    const ids: string[] = posted.body.messages.map((m: { id: string }) => m.id);

    const first = startWorker();
    await first.waitFor('the worker has callbacks in flight', () => receiver.received.length >= 4);
    first.kill('SIGKILL');
    await first.exited;
    const inFlight = new Set(receiver.received.map((c) => c.headers['webhook-id']));
    expect((await states()).delivered).toBeUndefined();

    receiver.answer = () => 204;
    const second = startWorker();
    await second.waitFor('every message is sent', async () => {
      const [row] = await t.sql<{ n: number }>(`SELECT count(*)::int AS n FROM messages WHERE status = 'sent'`);
      return row.n === ids.length;
    });
    await second.waitFor('every callback is delivered', async () => (await states()).delivered === ids.length);

    const deliveredFor = new Set(receiver.delivered.map((c) => c.body.data.id as string));
    expect([...deliveredFor].sort()).toEqual([...ids].sort());
    // The events whose requests the kill cut off were delivered again, under the same webhook-id.
    const redelivered = receiver.delivered.filter((c) => inFlight.has(c.headers['webhook-id']));
    expect(redelivered.length).toBe(inFlight.size);
    // pino writes asynchronously: the lines may follow the rows by a moment.
    await second.waitFor('each attempt is logged', () => second.events('callback_attempt').length >= ids.length);
  });

  it('stopped with SIGTERM, finishes the callbacks in hand and exits 0', async () => {
    receiver.received.length = 0;
    receiver.answer = () => 204;
    const worker = startWorker();
    await worker.waitFor('it is delivering', () =>
      worker.lines.some((line) => line.includes('delivering callbacks, looking every 100 ms')),
    );
    const [message] = (
      await t.http
        .post('/messages')
        .send(aMessageRequest({ callback_url: `${receiver.url}/hooks` }))
        .expect(202)
    ).body.messages;
    await waitFor('its callback is delivered', async () =>
      receiver.delivered.some((c) => c.body.data.id === message.id),
    );
    worker.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
  });
});
