import { CallbackDeliveryService } from '../src/callbacks/callback-delivery.service';
import { aWebhookSecret } from './support/callback-receiver';
import { aMessageRequest } from './support/factories';
import { createTestApp, type TestApp } from './support/test-app';
import { captureLogs, type CapturedLogs } from './support/test-logs';

/**
 * Callbacks with the address check on, as in production: the API refuses URLs that point into private
 * networks, and delivery refuses to connect to them. In a file of its own: it captures the app's log lines,
 * which needs the only logger in the process to be this app's.
 */
describe('Status callbacks without CALLBACK_ALLOW_PRIVATE_NETWORKS', () => {
  const secret = aWebhookSecret();
  let t: TestApp;
  let logs: CapturedLogs;

  beforeAll(async () => {
    logs = captureLogs();
    t = await createTestApp({ env: { CALLBACK_SECRETS: `default:${secret}`, LOG_LEVEL: 'info' } });
  });
  afterAll(async () => {
    await t.close();
    logs.stop();
  });

  it.each([
    ['http://127.0.0.1:8080/hooks', 'loopback'],
    ['http://localhost/hooks', 'loopback'],
    ['http://10.1.2.3/hooks', 'private-network'],
    ['http://169.254.169.254/latest/meta-data', 'cloud metadata'],
    ['http://[::1]/hooks', 'loopback'],
  ])('refuses %s (%s) with 400, storing nothing', async (url, kind) => {
    const answer = await t.http
      .post('/messages')
      .send(aMessageRequest({ callback_url: url }))
      .expect(400);
    expect(answer.body.errors).toEqual([{ field: 'callback_url', reason: expect.stringContaining(kind) }]);
    expect(await t.sql('SELECT 1 FROM messages')).toEqual([]);
  });

  it('accepts a public address, and a host that does not resolve (delivery checks again)', async () => {
    for (const url of ['https://93.184.215.14/hooks', 'https://callbacks.invalid/hooks']) {
      const [message] = (
        await t.http
          .post('/messages')
          .send(aMessageRequest({ callback_url: url }))
          .expect(202)
      ).body.messages;
      expect(message.callback_url).toBe(url);
    }
  });

  it('never delivers to a private address: the attempt fails before connecting', async () => {
    // Stored past the API, as a URL that once resolved to a public address and now to a private one would be.
    const [message] = (await t.http.post('/messages').send(aMessageRequest()).expect(202)).body.messages;
    await t.sql('UPDATE messages SET callback_url = $1 WHERE id = $2', ['http://127.0.0.1:9/hooks', message.id]);
    await t.dispatch.dispatchDue();
    await t.app.get(CallbackDeliveryService).deliverDue();
    const { items } = (await t.http.get(`/messages/${message.id}/callbacks`).expect(200)).body;
    expect(items).toEqual([
      expect.objectContaining({ attempt: 1, status_code: null, error: 'refused to connect to a loopback address' }),
    ]);
    // One line per attempt, saying which and what happened, without the URL, the body or the signature.
    const [line] = logs.entries.filter((entry) => entry.event === 'callback_attempt');
    expect(line).toEqual(
      expect.objectContaining({ messageId: message.id, attempt: 1, outcome: 'retried', type: 'message.sent' }),
    );
    expect(JSON.stringify(line)).not.toMatch(/127\.0\.0\.1|hooks|signature|v1,/);
  });

  it('keeps the callback secret out of every log line and answer, however it is sent', async () => {
    const key = secret.slice('whsec_'.length);
    for (const value of [secret, key]) {
      const answer = await t.http.get(`/messages/not-an-id?token=${encodeURIComponent(value)}`).set('X-Secret', value);
      expect(JSON.stringify(answer.body)).not.toContain(key);
    }
    await logs.waitFor('the requests are logged', (entries) => entries.filter((e) => e.req !== undefined).length >= 2);
    expect(JSON.stringify(logs.entries)).not.toContain(key);
  });
});
