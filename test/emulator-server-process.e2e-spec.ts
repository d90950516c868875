import { freePort, PROCESS_SPEC_TIMEOUT_MS, ServiceProcess } from './support/service-process';
import { QUIET_EMULATORS } from './support/emulator-server';
import { createTestDatabase, type TestDatabase } from './support/test-database';

jest.setTimeout(PROCESS_SPEC_TIMEOUT_MS);

/** APP_ROLE=emulators as main.ts starts it: what a client team runs as its staging stand-in. */
describe('APP_ROLE=emulators as a process', () => {
  let database: TestDatabase;
  let service: ServiceProcess | undefined;
  beforeAll(async () => (database = await createTestDatabase()));
  afterAll(async () => {
    service?.kill('SIGKILL');
    await service?.exited;
    await database.drop();
  });

  it('serves the APIs on PORT, keeps tokens out of its log, and stops cleanly on SIGTERM', async () => {
    const port = await freePort();
    service = new ServiceProcess({
      DATABASE_URL: database.url,
      APP_ROLE: 'emulators',
      PORT: String(port),
      ...QUIET_EMULATORS,
    });
    const base = `http://127.0.0.1:${port}`;
    await service.waitFor('the server is ready', () =>
      fetch(`${base}/health/ready`).then(
        (res) => res.status === 200,
        () => false,
      ),
    );
    expect(service.events('listening')).toHaveLength(1);

    const token = '987654:AAE-process-secret-token';
    const sent = await fetch(`${base}/bot${token}/sendMessage`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ chat_id: 555_001, text: 'hello' }),
    });
    expect(sent.status).toBe(200);
    const viber = await fetch(`${base}/pa/send_message`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-viber-auth-token': 'viber-process-secret-token' },
      body: JSON.stringify({ receiver: 'u1', type: 'text', text: 'hi', sender: { name: 'Shop' } }),
    });
    await expect(viber.json()).resolves.toMatchObject({ status: 0 });

    const requestLine = (path: string) => (entry: Record<string, unknown>) =>
      (entry.req as { url?: string } | undefined)?.url === path;
    await service.waitFor('both requests are logged', () =>
      ['/bot[REDACTED]/sendMessage', '/pa/send_message'].every((path) => service!.entries().some(requestLine(path))),
    );
    const log = service.lines.join('\n');
    expect(log).not.toContain('process-secret-token');

    service.kill('SIGTERM');
    await expect(service.exited).resolves.toBe(0);
  });
});
