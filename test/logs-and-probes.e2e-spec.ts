import { once } from 'node:events';
import { connect } from 'node:net';
import { aMessageRequest, aRecipient } from './support/factories';
import { freePort, PROCESS_SPEC_TIMEOUT_MS, ServiceProcess, waitFor } from './support/service-process';
import type { TestApp } from './support/test-app';
import { createTestApp } from './support/test-app';

jest.setTimeout(PROCESS_SPEC_TIMEOUT_MS);

const answers =
  (url: string, status = 200) =>
  async () =>
    fetch(url).then(
      (res) => res.status === status,
      () => false,
    );

/**
 * The service as real processes (main.ts, LOG_FORMAT=json): what its log lines carry, and the probe
 * listener a worker opens on HEALTH_PORT.
 */
describe('The service as a process', () => {
  let t: TestApp;
  const processes: ServiceProcess[] = [];
  beforeAll(async () => (t = await createTestApp()));
  afterEach(async () => {
    for (const service of processes.splice(0)) {
      service.kill('SIGKILL');
      await service.exited;
    }
  });
  afterAll(() => t.close());

  const start = (env: Record<string, string>) => {
    const service = new ServiceProcess({
      DATABASE_URL: t.database.url,
      EMULATOR_FAILURE_RATE: '0',
      EMULATOR_RATE_LIMITED_RATE: '0',
      EMULATOR_PERMANENT_RATE: '0',
      EMULATOR_LATENCY_MS: '0',
      ...env,
    });
    processes.push(service);
    return service;
  };

  it('logs one JSON object a line, with the request id on every line of a request, no credentials and no body', async () => {
    const port = await freePort();
    const api = start({ APP_ROLE: 'api', PORT: String(port) });
    const base = `http://127.0.0.1:${port}`;
    await waitFor('the api listens', answers(`${base}/health/live`));

    // The first readiness probe logs the flip to ready, inside its request.
    const probe = await fetch(`${base}/health/ready`, { headers: { 'x-request-id': 'probe-1' } });
    expect(probe.status).toBe(200);
    expect(probe.headers.get('x-request-id')).toBe('probe-1');
    const { body } = aMessageRequest();
    const posted = await fetch(`${base}/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: 'Bearer s3cret-token', 'x-request-id': 'post-1' },
      body: JSON.stringify({ body, recipients: [aRecipient.telegram()] }),
    });
    expect(posted.status).toBe(202);
    expect(posted.headers.get('x-request-id')).toBe('post-1');
    await waitFor('the request is logged', async () => api.entries().some((entry) => entry.reqId === 'post-1'));

    expect(api.lines.filter((line) => !line.startsWith('{'))).toEqual([]);
    expect(api.events('readiness')).toEqual([
      expect.objectContaining({ reqId: 'probe-1', context: 'HealthService', ready: true }),
    ]);
    expect(api.entries().filter((entry) => entry.reqId === 'post-1')).toEqual([
      expect.objectContaining({
        level: 30,
        msg: 'request completed',
        role: 'api',
        req: expect.objectContaining({
          method: 'POST',
          url: '/messages',
          headers: expect.objectContaining({ authorization: '[REDACTED]' }),
        }),
        res: { statusCode: 202 },
        responseTime: expect.any(Number),
      }),
    ]);
    const log = api.lines.join('\n');
    expect(log).not.toContain('s3cret-token');
    expect(log).not.toContain(body);
    // Probes are answered, not logged: a line every few seconds would drown the rest.
    expect(
      api.entries().filter((entry) => (entry.req as { url?: string } | undefined)?.url?.startsWith('/health')),
    ).toEqual([]);
  });

  it('says where it listens and which database it uses (never with the password), and ends with a "stopped" line', async () => {
    const url = new URL(t.database.url);
    // A password the log must not show. A server that asks for none (TEST_DATABASE_URL without one) ignores it.
    url.password ||= 'never-in-a-log-7c1e';
    const api = start({ APP_ROLE: 'api', HOST: '127.0.0.1', PORT: '0', DATABASE_URL: url.toString() });
    await api.waitFor('the API listens', () => api.events('listening').length > 0);

    const [listening] = api.events('listening');
    expect(listening).toMatchObject({
      address: '127.0.0.1',
      msg: `role api: API on http://127.0.0.1:${String(listening.port)} (this machine only; OpenAPI UI at /docs)`,
    });
    expect((await fetch(`http://127.0.0.1:${String(listening.port)}/health/live`)).status).toBe(200);
    expect(api.events('database')).toEqual([
      expect.objectContaining({
        level: 30,
        host: url.hostname,
        port: Number(url.port || 5432),
        database: url.pathname.slice(1),
      }),
    ]);

    api.kill('SIGTERM');
    expect(await api.exited).toBe(0);
    expect(api.entries().at(-1)).toMatchObject({ event: 'stopped', exitCode: 0, signal: 'SIGTERM' });
    expect(api.lines.join('\n')).not.toContain(url.password);
  });

  it('an API stopped while a client holds a half-sent request exits within its drain time, not after 60 s', async () => {
    const port = await freePort();
    const api = start({ APP_ROLE: 'api', PORT: String(port) });
    await waitFor('the API listens', answers(`http://127.0.0.1:${port}/health/live`));
    // Headers begun and never finished: Node keeps such a connection open for its 60 s headers timeout.
    const client = connect(port, '127.0.0.1');
    await once(client, 'connect');
    client.write('POST /messages HTTP/1.1\r\nHost: 127.0.0.1\r\n');
    client.on('error', () => undefined);

    const stopping = Date.now();
    api.kill('SIGTERM');
    expect(await api.exited).toBe(0);
    // The drain allows 5 s; the rest is headroom for a loaded machine, far below the 60 s it took.
    expect(Date.now() - stopping).toBeLessThan(20_000);
    client.destroy();
  });

  it('a worker with HEALTH_PORT serves /health/* (its scheduler included) and /metrics there, and nothing else', async () => {
    const { body } = aMessageRequest();
    const created = await t.http
      .post('/messages')
      .send({ body, recipients: [aRecipient.viber()] })
      .expect(202);
    const port = await freePort();
    const worker = start({ APP_ROLE: 'worker', HEALTH_PORT: String(port), DISPATCH_CRON: '* * * * * *' });
    const base = `http://127.0.0.1:${port}`;
    await waitFor('the worker is ready', answers(`${base}/health/ready`));
    await waitFor('the message is sent', async () => {
      const [row] = await t.sql<{ status: string }>('SELECT status FROM messages WHERE id = $1', [
        created.body.messages[0].id,
      ]);
      return row.status === 'sent';
    });

    const ready = await fetch(`${base}/health/ready`);
    expect(await ready.json()).toMatchObject({
      status: 'ok',
      details: {
        database: { status: 'up' },
        migrations: { status: 'up' },
        scheduler: { status: 'up', lastTickAt: expect.any(String) },
      },
    });
    await waitFor('the attempt is counted', async () => {
      const metrics = await (await fetch(`${base}/metrics`)).text();
      return /^dispatch_messages_sent_total\{provider="viber"\} 1$/m.test(metrics);
    });
    const metrics = await (await fetch(`${base}/metrics`)).text();
    expect(metrics).toMatch(/^dispatch_last_tick_timestamp_seconds [1-9]/m);
    expect(metrics).toMatch(/^dispatch_attempt_duration_seconds_count\{provider="viber",outcome="sent"\} 1$/m);
    expect((await fetch(`${base}/health/live`)).status).toBe(200);
    expect((await fetch(`${base}/messages`)).status).toBe(404);

    const attempts = worker
      .events('delivery_attempt')
      .filter((entry) => entry.messageId === created.body.messages[0].id);
    expect(attempts).toEqual([
      expect.objectContaining({
        level: 30,
        context: 'DispatchService',
        role: 'worker',
        messageId: created.body.messages[0].id,
        provider: 'viber',
        outcome: 'sent',
        latencyMs: expect.any(Number),
        bodyLength: body.length,
      }),
    ]);

    worker.kill('SIGTERM');
    expect(await worker.exited).toBe(0);
  });
});
