import { itDrivesEachTestRecipientAsDocumented, itReplaysRunsFromTheSeed } from '../../../test/support/emulator-specs';
import { loadConfig } from '../../config/app-config';
import type { OutgoingMessage, SendResult } from '../messenger-provider';
import type { TelegramResponse } from './telegram-bot-api';
import { TELEGRAM_ERRORS, telegramSendMessageRequest } from './telegram-bot-api';
import { TELEGRAM_TEST_RECIPIENTS, TelegramBotApiEmulator } from './telegram-bot-api.emulator';
import { TelegramProvider } from './telegram.provider';

/** Seeded, instant, never failing at random: each test turns on what it is about. */
const QUIET = {
  EMULATOR_SEED: '7',
  EMULATOR_LATENCY_MS: '0',
  EMULATOR_FAILURE_RATE: '0',
  EMULATOR_RATE_LIMITED_RATE: '0',
  EMULATOR_PERMANENT_RATE: '0',
};

function setUp(env: Record<string, string> = {}) {
  const api = new TelegramBotApiEmulator(loadConfig({ ...QUIET, ...env }));
  return { api, provider: new TelegramProvider(api) };
}

const message = (n: number, recipient = String(100_000 + n), body = `hello ${n}`): OutgoingMessage => ({
  id: `message-${n}`,
  recipient,
  body,
  sender: null,
});

/** Settles on the next turn of the event loop: 'pending' if `promise` hasn't settled by then. */

async function sendMany(provider: TelegramProvider, count: number): Promise<SendResult[]> {
  const results: SendResult[] = [];
  for (let n = 0; n < count; n++) results.push(await provider.send(message(n)));
  return results;
}

describe('TelegramBotApiEmulator', () => {
  it('answers an accepted message as sendMessage does, with increasing message_ids', async () => {
    const { api } = setUp();
    const responses: TelegramResponse[] = [];
    for (let n = 0; n < 5; n++) responses.push(await api.sendMessage(telegramSendMessageRequest(message(n))));

    expect(responses[0]).toStrictEqual({
      ok: true,
      result: {
        message_id: expect.any(Number),
        date: expect.any(Number),
        chat: { id: 100_000, type: 'private' },
        text: 'hello 0',
      },
    });
    const ids = responses.map((response) => (response.ok ? response.result.message_id : NaN));
    ids.slice(1).forEach((id, i) => expect(id).toBeGreaterThan(ids[i]));
    const date = responses[0].ok ? responses[0].result.date : NaN;
    expect(Number.isInteger(date)).toBe(true);
    expect(Math.abs(date - Date.now() / 1000)).toBeLessThan(60); // Unix time in seconds, not ms
  });

  it('the provider reports the message_id as the id', async () => {
    const { provider } = setUp();
    const results = await sendMany(provider, 3);
    expect(results).toStrictEqual([
      { outcome: 'sent', providerMessageId: '1' },
      { outcome: 'sent', providerMessageId: '2' },
      { outcome: 'sent', providerMessageId: '3' },
    ]);
  });

  describe('its test chats', () => {
    const retry429: SendResult = {
      outcome: 'retry',
      code: '429',
      description: 'Too Many Requests: retry after 1',
      rateLimited: true,
      retryAfterMs: 1000,
    };
    const retry502: SendResult = { outcome: 'retry', code: '502', description: 'Bad Gateway' };
    const sent: SendResult = { outcome: 'sent', providerMessageId: expect.stringMatching(/^\d+$/) };
    const failed = (code: string, description: string): SendResult => ({ outcome: 'failed', code, description });

    /** What each test chat gives on successive attempts at one message; 'pending' for no answer at all. */
    const EXPECTED: Record<string, readonly SendResult[] | 'pending'> = {
      '1000000200': [sent, sent],
      '1000000403': [
        failed('403', 'Forbidden: bot was blocked by the user'),
        failed('403', 'Forbidden: bot was blocked by the user'),
      ],
      '1000000404': [failed('400', 'Bad Request: chat not found'), failed('400', 'Bad Request: chat not found')],
      '1000000410': [failed('403', 'Forbidden: user is deactivated'), failed('403', 'Forbidden: user is deactivated')],
      '1000000429': [retry429, retry429, sent, sent],
      '1000000502': [retry502, retry502, sent, sent],
      '1000000504': 'pending',
    };

    itDrivesEachTestRecipientAsDocumented({
      recipients: TELEGRAM_TEST_RECIPIENTS,
      expected: EXPECTED,
      providerWith: (failureRate) =>
        setUp({ EMULATOR_FAILURE_RATE: failureRate, EMULATOR_TELEGRAM: 'recipient_interval_ms=0' }).provider,
      answerShows: (r) => `${r.code} ${r.description}`,
    });

    it('counts each message apart: another text to a "twice then ok" chat starts over', async () => {
      const { provider } = setUp({ EMULATOR_TELEGRAM: 'recipient_interval_ms=0' });
      const first = { id: 'message-1', recipient: '1000000502', body: 'first', sender: null };
      const second = { id: 'message-2', recipient: '1000000502', body: 'second', sender: null };
      await expect(provider.send(first)).resolves.toMatchObject({ outcome: 'retry', code: '502' });
      await expect(provider.send(second)).resolves.toMatchObject({ outcome: 'retry', code: '502' });
      await expect(provider.send(first)).resolves.toMatchObject({ outcome: 'retry', code: '502' });
      await expect(provider.send(first)).resolves.toMatchObject({ outcome: 'sent' });
      await expect(provider.send(second)).resolves.toMatchObject({ outcome: 'retry', code: '502' });
      await expect(provider.send(second)).resolves.toMatchObject({ outcome: 'sent' });
    });
  });

  describe('its flood control', () => {
    it('answers 429 with retry_after once the overall limit is reached, which the provider retries rate-limited', async () => {
      const { api, provider } = setUp({ EMULATOR_TELEGRAM: 'limit=2/60000,recipient_interval_ms=0' });
      await expect(provider.send(message(1))).resolves.toMatchObject({ outcome: 'sent' });
      await expect(provider.send(message(2))).resolves.toMatchObject({ outcome: 'sent' });

      const response = await api.sendMessage(telegramSendMessageRequest(message(3)));
      expect(response).toStrictEqual({
        ok: false,
        error_code: 429,
        description: expect.stringMatching(/^Too Many Requests: retry after \d+$/),
        parameters: { retry_after: expect.any(Number) },
      });
      const retryAfter = response.ok ? NaN : response.parameters!.retry_after!;
      expect(retryAfter).toBeGreaterThanOrEqual(1);
      expect(retryAfter).toBeLessThanOrEqual(60);
      expect(response.ok ? '' : response.description).toBe(`Too Many Requests: retry after ${retryAfter}`);

      const result = await provider.send(message(4));
      expect(result).toStrictEqual({
        outcome: 'retry',
        code: '429',
        description: expect.stringMatching(/^Too Many Requests: retry after \d+$/),
        rateLimited: true,
        retryAfterMs: expect.any(Number),
      });
      const retryAfterMs = result.outcome === 'retry' ? result.retryAfterMs! : NaN;
      expect(retryAfterMs).toBeGreaterThanOrEqual(1000);
      expect(retryAfterMs).toBeLessThanOrEqual(60_000);
      expect(retryAfterMs % 1000).toBe(0);
    });

    it('answers 429 to a second message to one chat within a second (the default interval), not to another chat', async () => {
      const { api, provider } = setUp();
      await expect(provider.send(message(1, '555'))).resolves.toMatchObject({ outcome: 'sent' });
      await expect(api.sendMessage(telegramSendMessageRequest(message(2, '555')))).resolves.toStrictEqual(
        TELEGRAM_ERRORS.tooManyRequests(1).response,
      );
      await expect(provider.send(message(3, '555'))).resolves.toStrictEqual({
        outcome: 'retry',
        code: '429',
        description: 'Too Many Requests: retry after 1',
        rateLimited: true,
        retryAfterMs: 1000,
      });
      await expect(provider.send(message(4, '556'))).resolves.toMatchObject({ outcome: 'sent' });
    });
  });

  describe('random failures', () => {
    it('answers 502 Bad Gateway to everything with EMULATOR_FAILURE_RATE=1, which the provider retries', async () => {
      const { api, provider } = setUp({ EMULATOR_FAILURE_RATE: '1' });
      for (let n = 0; n < 20; n++) {
        await expect(api.sendMessage(telegramSendMessageRequest(message(n)))).resolves.toStrictEqual(
          TELEGRAM_ERRORS.badGateway.response,
        );
      }
      for (const result of await sendMany(provider, 20)) {
        expect(result).toStrictEqual({ outcome: 'retry', code: '502', description: 'Bad Gateway' });
      }
    });

    it('refuses everything for good with EMULATOR_PERMANENT_RATE=1, in each of its random errors, which the provider fails', async () => {
      const { api, provider } = setUp({ EMULATOR_PERMANENT_RATE: '1' });
      const random = [TELEGRAM_ERRORS.chatNotFound, TELEGRAM_ERRORS.blockedByUser, TELEGRAM_ERRORS.userDeactivated].map(
        (e) => e.response,
      );
      const seen = new Set<string>();
      for (let n = 0; n < 60; n++) {
        const response = await api.sendMessage(telegramSendMessageRequest(message(n)));
        expect(random).toContainEqual(response);
        seen.add(response.ok ? 'ok' : response.description);
      }
      expect(seen.size).toBe(random.length);
      for (const result of await sendMany(provider, 30)) {
        expect(result).toMatchObject({ outcome: 'failed', code: expect.stringMatching(/^40[03]$/) });
      }
    });
  });

  describe('a text over 4096 characters, built past the API’s validation', () => {
    it('is refused as too long, and the provider fails it', async () => {
      const { api, provider } = setUp();
      await expect(api.sendMessage({ chat_id: 42, text: 'x'.repeat(4097) })).resolves.toStrictEqual(
        TELEGRAM_ERRORS.messageTooLong.response,
      );
      await expect(provider.send(message(1, '43', 'x'.repeat(4097)))).resolves.toStrictEqual({
        outcome: 'failed',
        code: '400',
        description: 'Bad Request: message is too long',
      });
    });

    it('counts characters, not UTF-16 units: 4096 emoji go through', async () => {
      const { provider } = setUp();
      await expect(provider.send(message(1, '44', '😀'.repeat(4096)))).resolves.toMatchObject({ outcome: 'sent' });
      await expect(provider.send(message(2, '45', 'x'.repeat(4096)))).resolves.toMatchObject({ outcome: 'sent' });
    });
  });

  itReplaysRunsFromTheSeed((seed) =>
    sendMany(setUp({ EMULATOR_SEED: seed, EMULATOR_FAILURE_RATE: '0.5' }).provider, 100),
  );
});
