import { createServer } from 'node:net';
import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import { FakeMessengerApi } from '../../../test/support/fake-messenger-api';
import { loadConfig } from '../../config/app-config';
import { UnansweredCall } from '../live/unanswered-call';
import type { MessengerProvider, OutgoingMessage, SendResult } from '../messenger-provider';
import type { MessengerName } from '../messengers';
import type { LiveMessengerFactories } from '../messenger-wiring';
import { TELEGRAM_WIRING } from '../telegram/telegram.providers';
import { VIBER_WIRING } from '../viber/viber.providers';
import { WHATSAPP_WIRING } from '../whatsapp/whatsapp.providers';
import { LiveMessengers } from './live-messengers';
import { parseSenderAccounts, type SenderAccount } from './sender-accounts';
import type { SenderDirectory } from './sender-directory';

const TELEGRAM_TOKEN = '123456:AAE-live-client-spec-token';
const WHATSAPP_TOKEN = 'EAAG-live-client-spec-token-0123456789';
const VIBER_TOKEN = '4453b6ac-live-client-spec-token';

const message = (id: string, recipient: string, sender: string): OutgoingMessage => ({
  id,
  recipient,
  body: 'Your order #1042 has shipped.',
  sender,
});

/** A SenderDirectory over a fixed list, which a test may replace. */
class FixedDirectory {
  private listeners: ((accounts: readonly SenderAccount[]) => void)[] = [];
  constructor(public accounts: SenderAccount[]) {}
  named(name: string) {
    return this.accounts.find((account) => account.name === name);
  }
  onChange(listener: (accounts: readonly SenderAccount[]) => void) {
    this.listeners.push(listener);
  }
  replace(accounts: SenderAccount[]) {
    this.accounts = accounts;
    for (const listener of this.listeners) listener(accounts);
  }
}

function accountsAt(baseUrl: string, tokens: { telegram?: string; whatsapp?: string; viber?: string } = {}) {
  const { accounts, problems } = parseSenderAccounts(
    JSON.stringify([
      { client: '*', provider: 'telegram', name: 'bot', token: tokens.telegram ?? TELEGRAM_TOKEN, base_url: baseUrl },
      {
        client: '*',
        provider: 'whatsapp',
        name: 'wa',
        phone_number_id: '106540352242922',
        token: tokens.whatsapp ?? WHATSAPP_TOKEN,
        base_url: `${baseUrl}/v26.0`,
      },
      {
        client: '*',
        provider: 'viber',
        name: 'shop',
        token: tokens.viber ?? VIBER_TOKEN,
        sender_name: 'Shop',
        base_url: baseUrl,
      },
    ]),
  );
  expect(problems).toEqual([]);
  return accounts;
}

/** The messengers' own factories, as ProvidersModule hands them to LiveMessengers. */
const LIVE_FACTORIES: LiveMessengerFactories = Object.fromEntries(
  [TELEGRAM_WIRING, WHATSAPP_WIRING, VIBER_WIRING].map((wiring) => [wiring.name, wiring.live]),
) as LiveMessengerFactories;

const api = new FakeMessengerApi();
const opened: LiveMessengers[] = [];

function liveMessengers(directory: FixedDirectory, sendTimeoutMs = 5_000): LiveMessengers {
  const config = loadConfig({ DISPATCH_SEND_TIMEOUT_MS: String(sendTimeoutMs) });
  const live = new LiveMessengers(directory as unknown as SenderDirectory, LIVE_FACTORIES, config);
  opened.push(live);
  return live;
}

function providerOf(live: LiveMessengers, provider: MessengerName, sender: string): MessengerProvider {
  const found = live.providerFor(provider, sender);
  if (!found) throw new Error(`no provider for ${sender}`);
  return found;
}

/** What a send ends as, a call without an answer included (as the dispatcher reads it). */
async function sendResult(provider: MessengerProvider, outgoing: OutgoingMessage): Promise<SendResult> {
  try {
    return await provider.send(outgoing);
  } catch (error) {
    if (error instanceof UnansweredCall) return error.result;
    throw error;
  }
}

beforeAll(() => api.start());
afterAll(() => api.stop());
afterEach(async () => {
  api.requests.length = 0;
  api.script = undefined;
  await Promise.all(opened.splice(0).map((live) => live.onApplicationShutdown()));
});

describe('the live clients, against a local HTTP server', () => {
  it('Telegram: POST /bot<token>/sendMessage with the chat id as a number, the text, and the Idempotency-Key', async () => {
    const live = liveMessengers(new FixedDirectory(accountsAt(api.baseUrl)));
    const result = await providerOf(live, 'telegram', 'bot').send(message('m-tg-1', '123456789', 'bot'));

    expect(result).toEqual({ outcome: 'sent', providerMessageId: expect.stringMatching(/^\d+$/) as string });
    expect(api.requests).toHaveLength(1);
    const [request] = api.requests;
    expect(request.method).toBe('POST');
    expect(request.path).toBe(`/bot${TELEGRAM_TOKEN}/sendMessage`);
    expect(request.headers['idempotency-key']).toBe('m-tg-1');
    expect(request.headers['content-type']).toBe('application/json');
    expect(request.body).toEqual({ chat_id: 123456789, text: 'Your order #1042 has shipped.' });
  });

  it('WhatsApp: POST {base_url with version}/{phone-number-id}/messages with a Bearer token and the text body', async () => {
    const live = liveMessengers(new FixedDirectory(accountsAt(api.baseUrl)));
    const result = await providerOf(live, 'whatsapp', 'wa').send(message('m-wa-1', '+14155552671', 'wa'));

    expect(result).toEqual({ outcome: 'sent', providerMessageId: expect.stringMatching(/^wamid\.\d+$/) as string });
    const [request] = api.requests;
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/v26.0/106540352242922/messages');
    expect(request.headers.authorization).toBe(`Bearer ${WHATSAPP_TOKEN}`);
    expect(request.headers['idempotency-key']).toBe('m-wa-1');
    expect(request.body).toEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '14155552671',
      type: 'text',
      text: { preview_url: false, body: 'Your order #1042 has shipped.' },
    });
  });

  it('Viber: POST /pa/send_message with X-Viber-Auth-Token, the account’s sender name, and the 64-bit token exact', async () => {
    const live = liveMessengers(new FixedDirectory(accountsAt(api.baseUrl)));
    const result = await providerOf(live, 'viber', 'shop').send(message('m-vb-1', 'pttm25kSGUo1919sBORWyA==', 'shop'));

    expect(result).toEqual({ outcome: 'sent', providerMessageId: '5741311803571721087' });
    const [request] = api.requests;
    expect(request.method).toBe('POST');
    expect(request.path).toBe('/pa/send_message');
    expect(request.headers['x-viber-auth-token']).toBe(VIBER_TOKEN);
    expect(request.headers['idempotency-key']).toBe('m-vb-1');
    expect(request.body).toEqual({
      receiver: 'pttm25kSGUo1919sBORWyA==',
      min_api_version: 1,
      sender: { name: 'Shop' },
      tracking_data: 'm-vb-1',
      type: 'text',
      text: 'Your order #1042 has shipped.',
    });
  });

  it.each([
    ['telegram', 'bot', '1', '401'],
    ['whatsapp', 'wa', '+14155552671', '190'],
    ['viber', 'shop', 'user-1', '2'],
  ] as const)('%s (%s): a revoked token is the account’s failure, account_failed', async (provider, name, to, code) => {
    const revoked = 'revoked-0123456789abcdef';
    const live = liveMessengers(
      new FixedDirectory(accountsAt(api.baseUrl, { telegram: revoked, whatsapp: revoked, viber: revoked })),
    );
    const result = await providerOf(live, provider, name).send(message('m-revoked', to, name));
    expect(result).toMatchObject({ outcome: 'account_failed', code });
    expect(JSON.stringify(result)).not.toContain(revoked);
  });

  it('Telegram: a 429 is rate-limited, with its retry_after', async () => {
    api.script = () => ({
      status: 429,
      body: {
        ok: false,
        error_code: 429,
        description: 'Too Many Requests: retry after 7',
        parameters: { retry_after: 7 },
      },
    });
    const live = liveMessengers(new FixedDirectory(accountsAt(api.baseUrl)));
    await expect(providerOf(live, 'telegram', 'bot').send(message('m-429', '42', 'bot'))).resolves.toEqual({
      outcome: 'retry',
      code: '429',
      description: 'Too Many Requests: retry after 7',
      rateLimited: true,
      retryAfterMs: 7_000,
    });
  });

  it('WhatsApp: 131047 (the 24-hour window is closed) stays a permanent failure with its code', async () => {
    api.script = () => ({
      status: 400,
      body: {
        error: {
          message: '(#131047) Re-engagement message',
          type: 'OAuthException',
          code: 131047,
          error_data: { messaging_product: 'whatsapp', details: 'More than 24 hours have passed.' },
          fbtrace_id: 'Ab',
        },
      },
    });
    const live = liveMessengers(new FixedDirectory(accountsAt(api.baseUrl)));
    await expect(
      providerOf(live, 'whatsapp', 'wa').send(message('m-131047', '+14155552671', 'wa')),
    ).resolves.toMatchObject({ outcome: 'failed', code: '131047' });
  });

  it('an answer that is not the API’s (a proxy’s HTML page) is retried, not trusted', async () => {
    api.script = () => ({ status: 502, body: '<html>Bad Gateway</html>' });
    const live = liveMessengers(new FixedDirectory(accountsAt(api.baseUrl)));
    await expect(providerOf(live, 'telegram', 'bot').send(message('m-html', '42', 'bot'))).resolves.toMatchObject({
      outcome: 'retry',
      code: 'malformed_response',
    });
  });

  it('a refused connection is "not sent": a transient retry, its description without the token', async () => {
    // A port that was open a moment ago and is closed now: the connection is refused.
    const probe = createServer().listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const port = (probe.address() as AddressInfo).port;
    probe.close();
    await once(probe, 'close');

    const live = liveMessengers(new FixedDirectory(accountsAt(`http://127.0.0.1:${port}`)));
    const result = await sendResult(providerOf(live, 'telegram', 'bot'), message('m-refused', '42', 'bot'));
    expect(result).toMatchObject({ outcome: 'retry', code: 'connect_failed' });
    expect(JSON.stringify(result)).toContain('bot[REDACTED]/sendMessage');
    expect(JSON.stringify(result)).not.toContain(TELEGRAM_TOKEN);
  });

  it('a request sent and never answered is the lost-answer case: retried under "timeout"', async () => {
    api.script = () => 'stall';
    const live = liveMessengers(new FixedDirectory(accountsAt(api.baseUrl)), 300);
    const result = await sendResult(providerOf(live, 'whatsapp', 'wa'), message('m-stall', '+14155552671', 'wa'));
    expect(result).toMatchObject({ outcome: 'retry', code: 'timeout' });
    expect(api.requests).toHaveLength(1);
    expect(JSON.stringify(result)).not.toContain(WHATSAPP_TOKEN);
  });

  it('keeps one client per account, and a new one (its old pool closed) when the account changes', async () => {
    const directory = new FixedDirectory(accountsAt(api.baseUrl));
    const live = liveMessengers(directory);
    const first = providerOf(live, 'telegram', 'bot');
    expect(providerOf(live, 'telegram', 'bot')).toBe(first);

    directory.replace(accountsAt(api.baseUrl, { telegram: '654321:AAE-another-live-client-token' }));
    const second = providerOf(live, 'telegram', 'bot');
    expect(second).not.toBe(first);
    await second.send(message('m-new', '42', 'bot'));
    expect(api.requests.at(-1)?.path).toBe('/bot654321:AAE-another-live-client-token/sendMessage');
  });

  it('has no provider for an account gone from the file, or named for another messenger', () => {
    const directory = new FixedDirectory(accountsAt(api.baseUrl));
    const live = liveMessengers(directory);
    expect(live.providerFor('telegram', 'gone')).toBeUndefined();
    expect(live.providerFor('viber', 'bot')).toBeUndefined();
    directory.replace([]);
    expect(live.providerFor('telegram', 'bot')).toBeUndefined();
  });
});
