import { Webhook } from 'standardwebhooks';
import { CallbackDeliveryService } from '../src/callbacks/callback-delivery.service';
import { aWebhookSecret, CallbackReceiver } from './support/callback-receiver';
import { aMessageRequest } from './support/factories';
import { waitFor } from './support/service-process';
import { createTestApp, type TestApp } from './support/test-app';

const CRM_KEY = 'crm-key-0123456789abcdef';
const SHOP_KEY = 'shop-key-0123456789abcdef';
const CRM_SECRET = aWebhookSecret();

/** A failed message's terminal answer from the scripted messenger. */
const refuse = () => ({
  outcome: 'failed' as const,
  code: '403',
  description: 'Forbidden: bot was blocked by the user',
});

describe('Status callbacks', () => {
  let t: TestApp;
  let receiver: CallbackReceiver;
  let delivery: CallbackDeliveryService;

  const as = (key: string) => ({ Authorization: `Bearer ${key}` });
  const post = async (overrides: Record<string, unknown> = {}, key = CRM_KEY): Promise<string> =>
    (await t.http.post('/messages').set(as(key)).send(aMessageRequest(overrides)).expect(202)).body.messages[0].id;
  const getMessage = async (id: string) => (await t.http.get(`/messages/${id}`).set(as(CRM_KEY)).expect(200)).body;
  const callbacksOf = async (id: string) =>
    (await t.http.get(`/messages/${id}/callbacks`).set(as(CRM_KEY)).expect(200)).body.items as Array<
      Record<string, unknown>
    >;
  /** Delivers until `check` holds: each round runs what is due now; backoffs are milliseconds here. */
  const deliverUntil = (what: string, check: () => boolean | Promise<boolean>) =>
    waitFor(what, async () => {
      await delivery.deliverDue();
      return check();
    });
  const verify = (callback: { rawBody: string; headers: Record<string, string> }) =>
    new Webhook(CRM_SECRET).verify(callback.rawBody, callback.headers);

  beforeAll(async () => {
    receiver = await new CallbackReceiver().start();
    t = await createTestApp({
      env: {
        API_KEYS: `crm:${CRM_KEY},shop:${SHOP_KEY}`,
        CALLBACK_SECRETS: `crm:${CRM_SECRET}`,
        CALLBACK_URLS: `crm:${receiver.url}/default`,
        CALLBACK_ALLOW_PRIVATE_NETWORKS: 'true',
        CALLBACK_RETRY_BASE_DELAY_MS: '20',
        CALLBACK_RETRY_FACTOR: '2',
        CALLBACK_RETRY_MAX_DELAY_MS: '100',
        CALLBACK_TIMEOUT_MS: '500',
        CALLBACK_LEASE_MS: '5000',
        API_RATE_LIMIT_PER_SECOND: '0',
      },
    });
    delivery = t.app.get(CallbackDeliveryService);
  });

  afterAll(async () => {
    await t.close();
    await receiver.close();
  });

  beforeEach(async () => {
    await t.reset();
    receiver.received.length = 0;
    receiver.answer = () => 204;
  });

  it('posts message.sent once the message is sent, signed so that the Standard Webhooks library verifies it, the message as GET shows it', async () => {
    const id = await post({ callback_url: `${receiver.url}/hooks?src=test` });
    expect((await getMessage(id)).callback_url).toBe(`${receiver.url}/hooks?src=test`);
    await t.dispatch.dispatchDue();
    await deliverUntil('the event is delivered', () => receiver.delivered.length === 1);

    const [callback] = receiver.received;
    expect(callback.path).toBe('/hooks?src=test');
    expect(callback.headers['content-type']).toBe('application/json');
    expect(verify(callback)).toEqual(callback.body);
    expect(() => new Webhook(aWebhookSecret()).verify(callback.rawBody, callback.headers)).toThrow();
    const message = await getMessage(id);
    expect(callback.body).toEqual({ type: 'message.sent', timestamp: message.updated_at, data: message });
    expect(Object.keys(callback.body.data)).toEqual(Object.keys(message));

    const attempts = await callbacksOf(id);
    expect(attempts).toEqual([
      {
        event_id: callback.headers['webhook-id'],
        type: 'message.sent',
        attempt: 1,
        attempted_at: expect.any(String),
        status_code: 204,
        error: null,
        latency_ms: expect.any(Number),
      },
    ]);
    const metrics = (await t.http.get('/metrics').expect(200)).text;
    expect(metrics).toMatch(/^callbacks_delivered_total\{type="message\.sent"\} [1-9]/m);
    expect(metrics).toMatch(/^callback_delivery_duration_seconds_count\{outcome="delivered"\} [1-9]/m);
  });

  it('posts message.failed for a message that failed, and message.cancelled for one cancelled', async () => {
    t.messengers.telegram.script = refuse;
    const failed = await post({ callback_url: `${receiver.url}/hooks` });
    const cancelled = await post({
      callback_url: `${receiver.url}/hooks`,
      send_at: new Date(Date.now() + 3_600_000).toISOString(),
    });
    await t.dispatch.dispatchDue();
    await t.http.delete(`/messages/${cancelled}`).set(as(CRM_KEY)).expect(200);
    await deliverUntil('both events are delivered', () => receiver.delivered.length === 2);

    expect(receiver.forMessage(failed).map((c) => c.body.type)).toEqual(['message.failed']);
    expect(receiver.forMessage(failed)[0].body.data).toEqual(await getMessage(failed));
    expect(receiver.forMessage(cancelled).map((c) => c.body.type)).toEqual(['message.cancelled']);
    expect(receiver.forMessage(cancelled)[0].body.data).toEqual(await getMessage(cancelled));
    for (const callback of receiver.received) expect(verify(callback)).toEqual(callback.body);
  });

  it('sends no callback for a message without a callback_url, and uses the client’s default when it names none', async () => {
    const shops = await post({}, SHOP_KEY);
    const crms = await post();
    expect((await t.http.get(`/messages/${shops}`).set(as(SHOP_KEY)).expect(200)).body.callback_url).toBeNull();
    expect((await getMessage(crms)).callback_url).toBe(`${receiver.url}/default`);
    await t.dispatch.dispatchDue();
    await deliverUntil('the default URL hears', () => receiver.delivered.length === 1);
    await delivery.deliverDue();

    expect(receiver.received.map((c) => [c.path, c.body.data.id])).toEqual([['/default', crms]]);
    expect(await t.sql('SELECT 1 FROM callback_events WHERE message_id = $1', [shops])).toEqual([]);
    expect((await t.http.get(`/messages/${shops}/callbacks`).set(as(SHOP_KEY)).expect(200)).body.items).toEqual([]);
  });

  it('retries a receiver that fails, times out or redirects, with the same webhook-id, until it answers 2xx', async () => {
    const answers = [500, 'hang', { redirect: `${receiver.url}/landing` }, 204] as const;
    receiver.answer = ({ previousTries }) => answers[Math.min(previousTries, answers.length - 1)];
    const id = await post({ callback_url: `${receiver.url}/hooks` });
    await t.dispatch.dispatchDue();
    await deliverUntil('the fourth attempt is delivered', () => receiver.delivered.length === 1);

    const tries = receiver.forMessage(id);
    expect(tries.map((c) => c.path)).toEqual(['/hooks', '/hooks', '/hooks', '/hooks']);
    expect(receiver.received.some((c) => c.path === '/landing')).toBe(false);
    expect(new Set(tries.map((c) => c.headers['webhook-id'])).size).toBe(1);
    for (const callback of tries) expect(verify(callback)).toEqual(callback.body);

    const attempts = await callbacksOf(id);
    expect(attempts.map((a) => [a.attempt, a.status_code])).toEqual([
      [1, 500],
      [2, null],
      [3, 302],
      [4, 204],
    ]);
    expect(attempts[0].error).toBe('HTTP 500');
    expect(attempts[1].error).toMatch(/no answer within 500 ms/);
    expect(attempts[2].error).toMatch(/redirects are not followed/);
    expect(attempts[3].error).toBeNull();
    const metrics = (await t.http.get('/metrics').expect(200)).text;
    expect(metrics).toMatch(/^callbacks_retried_total\{type="message\.sent"\} [3-9]/m);
  });

  it('delivers one message’s events in order: the second waits while the first is still failing', async () => {
    t.messengers.telegram.script = refuse;
    const id = await post({ callback_url: `${receiver.url}/hooks` });
    await t.dispatch.dispatchDue();
    // The failed event's receiver is down for its first three tries.
    receiver.answer = ({ type, previousTries }) => (type === 'message.failed' && previousTries < 3 ? 503 : 204);
    await deliverUntil('the failed event has been tried once', () => receiver.received.length === 1);
    t.messengers.telegram.script = () => ({ outcome: 'sent', providerMessageId: 'p-1' });
    await t.http.post(`/messages/${id}/retry`).set(as(CRM_KEY)).expect(202);
    await t.dispatch.dispatchDue();
    expect((await getMessage(id)).status).toBe('sent');
    await deliverUntil('both events are delivered', () => receiver.delivered.length === 2);

    const types = receiver.forMessage(id).map((c) => `${c.body.type} ${String(c.answer)}`);
    expect(types).toEqual([
      'message.failed 503',
      'message.failed 503',
      'message.failed 503',
      'message.failed 204',
      'message.sent 204',
    ]);
    // Each event is the message as it was at its move: the failure still reads as one.
    expect(receiver.forMessage(id)[0].body.data.status).toBe('failed');
  });

  it('delivers everything to a receiver that was down for a compressed hour, and marks dead what is past the horizon', async () => {
    receiver.answer = () => 503;
    const ids = await Promise.all(Array.from({ length: 8 }, () => post({ callback_url: `${receiver.url}/hooks` })));
    await t.dispatch.dispatchDue();
    await deliverUntil('every event has failed four times', () =>
      ids.every((id) => receiver.forMessage(id).length >= 4),
    );
    receiver.answer = () => 204;
    await deliverUntil('every event is delivered', () =>
      ids.every((id) => receiver.forMessage(id).at(-1)?.answer === 204),
    );
    expect(await t.sql(`SELECT state, count(*)::int AS n FROM callback_events GROUP BY state`)).toEqual([
      { state: 'delivered', n: 8 },
    ]);

    // One more event, whose first attempt was a day ago: its next failure is its last.
    receiver.answer = () => 503;
    const late = await post({ callback_url: `${receiver.url}/hooks` });
    await t.dispatch.dispatchDue();
    await t.sql(`UPDATE callback_events SET first_attempt_at = now() - interval '2 days' WHERE message_id = $1`, [
      late,
    ]);
    await deliverUntil('the late event is dead', async () => {
      const [row] = await t.sql<{ state: string }>('SELECT state FROM callback_events WHERE message_id = $1', [late]);
      return row.state === 'dead';
    });
    expect(receiver.forMessage(late)).toHaveLength(1);
    expect((await t.http.get('/metrics').expect(200)).text).toMatch(
      /^callbacks_dead_total\{type="message\.sent"\} 1$/m,
    );
  });

  it('answers 400 naming callback_url for a bad URL or a client with no callback secret, and 404 for another client’s message', async () => {
    const refused = async (body: Record<string, unknown>, key: string) =>
      (await t.http.post('/messages').set(as(key)).send(aMessageRequest(body)).expect(400)).body;

    for (const url of [
      'ftp://example.com/x',
      'not a url',
      `https://example.com/${'x'.repeat(2048)}`,
      'https://u:p@example.com/',
    ]) {
      const answer = await refused({ callback_url: url }, CRM_KEY);
      expect(answer.code).toBe('VALIDATION_FAILED');
      expect(answer.errors).toEqual([{ field: 'callback_url', reason: expect.any(String) }]);
    }
    expect((await refused({ callback_url: 42 }, CRM_KEY)).errors).toEqual([
      { field: 'callback_url', reason: 'must be a string' },
    ]);
    const noSecret = await refused({ callback_url: `${receiver.url}/hooks` }, SHOP_KEY);
    expect(noSecret.errors).toEqual([{ field: 'callback_url', reason: expect.stringMatching(/no callback secret/) }]);
    expect(await t.sql('SELECT 1 FROM messages')).toEqual([]);

    const crms = await post({ callback_url: `${receiver.url}/hooks` });
    const other = await t.http.get(`/messages/${crms}/callbacks`).set(as(SHOP_KEY)).expect(404);
    expect(other.body.code).toBe('MESSAGE_NOT_FOUND');
    await t.http.get('/messages/nope/callbacks').set(as(CRM_KEY)).expect(400);
  });
});
