import { loadConfig } from '../src/config/app-config';
import { parseJsonExact } from '../src/providers/live/exact-json';
import type { OutgoingMessage } from '../src/providers/messenger-provider';
import { telegramSendMessageRequest } from '../src/providers/telegram/telegram-bot-api';
import { TelegramBotApiEmulator } from '../src/providers/telegram/telegram-bot-api.emulator';
import { viberSendMessageRequest } from '../src/providers/viber/viber-rest-api';
import { ViberRestApiEmulator } from '../src/providers/viber/viber-rest-api.emulator';
import { whatsAppSendRequest } from '../src/providers/whatsapp/whatsapp-cloud-api';
import { WhatsAppCloudApiEmulator } from '../src/providers/whatsapp/whatsapp-cloud-api.emulator';
import { type EmulatorServer, startEmulatorServer } from './support/emulator-server';

/**
 * The emulator server answers with the very objects the in-process emulators return: the same seed, the same
 * requests, the same answers, down to the ids and Graph's trace ids, with only the wire in between. Random
 * failures of every kind are on; the limits are off, as they depend on how fast each side sends.
 */
const ENV = {
  EMULATOR_SEED: '42',
  EMULATOR_LATENCY_MS: '0',
  EMULATOR_FAILURE_RATE: '0.2',
  EMULATOR_RATE_LIMITED_RATE: '0.1',
  EMULATOR_PERMANENT_RATE: '0.1',
  EMULATOR_TELEGRAM: 'limit=0,recipient_interval_ms=0',
  EMULATOR_WHATSAPP: 'limit=0,recipient_interval_ms=0',
  EMULATOR_VIBER: 'limit=0',
};

/** Plain recipients, and the test recipients that answer (a timeout one never does); the "twice" ones repeat. */
const RECIPIENTS = {
  telegram: ['200100', '200101', '@some_user', '1000000200', '1000000403', '1000000404', '1000000429', '1000000502'],
  whatsapp: ['+15551234567', '+15557654321', '+15550000200', '+15550131026', '+15550131047', '+15550131056'],
  viber: [
    'viber-user-a',
    'viber-user-b',
    'test-ok',
    'test-not-registered',
    'test-rate-limited',
    'test-no-device',
    'test-not-subscribed',
  ],
};

/** 30 messages over the recipients, one id each. */
const messages = (recipients: readonly string[]): OutgoingMessage[] =>
  Array.from({ length: 30 }, (_, n) => ({
    id: `parity-${n}`,
    recipient: recipients[n % recipients.length],
    body: `message ${n}`,
    sender: null,
  }));

/**
 * Sends each message until it is accepted, at most three times, through `both` (in process, then over HTTP),
 * as the dispatcher would. An accepted message is not sent again: the server would answer it from its inbox
 * of keys, the bare emulator (no inbox) would draw again.
 */
async function sendEach<T>(
  recipients: readonly string[],
  both: (message: OutgoingMessage) => Promise<{ expected: T; accepted: boolean }>,
): Promise<T[]> {
  const seen: T[] = [];
  for (const message of messages(recipients)) {
    for (let attempt = 0; attempt < 3; attempt++) {
      const { expected, accepted } = await both(message);
      seen.push(expected);
      if (accepted) break;
    }
  }
  return seen;
}

async function post(server: EmulatorServer, path: string, body: unknown, headers: Record<string, string>) {
  const response = await fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
  });
  return { status: response.status, body: parseJsonExact(await response.text()) };
}

describe('the emulator server answers what the in-process emulators answer', () => {
  let server: EmulatorServer;
  beforeAll(async () => {
    server = await startEmulatorServer(ENV);
  });
  afterAll(() => server.close());

  it('Telegram: the same sendMessage answers, with error_code as the HTTP status', async () => {
    const emulator = new TelegramBotApiEmulator(loadConfig(ENV));
    const kinds = new Set<string>();
    for (const message of messages(RECIPIENTS.telegram)) {
      const request = telegramSendMessageRequest(message);
      const expected = await emulator.sendMessage(request, message.id);
      const answer = await post(server, '/bot123456:AAE-parity/sendMessage', request, {
        'idempotency-key': message.id,
      });
      // `date` is the clock's, in seconds: the two sides may read it a second apart.
      const date = expected.ok ? { result: { ...expected.result, date: expect.any(Number) } } : {};
      expect(answer).toStrictEqual({ status: expected.ok ? 200 : expected.error_code, body: { ...expected, ...date } });
      kinds.add(expected.ok ? 'ok' : String(expected.error_code));
    }
    expect([...kinds].sort()).toStrictEqual(['400', '403', '429', '502', 'ok']);
  });

  it('WhatsApp: the same HTTP status and body', async () => {
    const emulator = new WhatsAppCloudApiEmulator(loadConfig(ENV));
    const seen = await sendEach(RECIPIENTS.whatsapp, async (message) => {
      const request = whatsAppSendRequest(message);
      const expected = await emulator.sendMessage(request, message.id);
      const answer = await post(server, '/v21.0/106540352242922/messages', request, {
        authorization: 'Bearer EAAG-parity',
        'idempotency-key': message.id,
      });
      expect(answer).toStrictEqual({ status: expected.httpStatus, body: expected.body });
      const accepted = !('error' in expected.body);
      return { expected: 'error' in expected.body ? String(expected.body.error.code) : 'ok', accepted };
    });
    expect(new Set(seen)).toEqual(new Set(['ok', '131000', '130429', '131026', '131047', '131056']));
  });

  it('Viber: the same answer, message_token read back from the wire exactly', async () => {
    const emulator = new ViberRestApiEmulator(loadConfig(ENV));
    const seen = await sendEach(RECIPIENTS.viber, async (message) => {
      const request = viberSendMessageRequest(message, 'Shop');
      const expected = await emulator.sendMessage(request, message.id);
      const answer = await post(server, '/pa/send_message', request, {
        'x-viber-auth-token': '4453b6ac-parity',
        'idempotency-key': message.id,
      });
      expect(answer).toStrictEqual({ status: 200, body: expected });
      return { expected: expected.status, accepted: expected.status === 0 };
    });
    expect(new Set(seen)).toEqual(new Set([0, 5, 6, 11, 12, 99]));
  });
});
