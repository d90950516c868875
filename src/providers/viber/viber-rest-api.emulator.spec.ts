import { itDrivesEachTestRecipientAsDocumented, itReplaysRunsFromTheSeed } from '../../../test/support/emulator-specs';
import { loadConfig } from '../../config/app-config';
import type { OutgoingMessage, SendResult } from '../messenger-provider';
import type { ViberResponse } from './viber-rest-api';
import { VIBER_STATUSES, viberSendMessageRequest } from './viber-rest-api';
import { VIBER_TEST_RECIPIENTS, ViberRestApiEmulator } from './viber-rest-api.emulator';
import { ViberProvider } from './viber.provider';

/** Seeded, instant, never failing at random: each test turns on what it is about. */
const QUIET = {
  EMULATOR_SEED: '7',
  EMULATOR_LATENCY_MS: '0',
  EMULATOR_FAILURE_RATE: '0',
  EMULATOR_RATE_LIMITED_RATE: '0',
  EMULATOR_PERMANENT_RATE: '0',
};

function setUp(env: Record<string, string> = {}) {
  const api = new ViberRestApiEmulator(loadConfig({ ...QUIET, ...env }));
  return { api, provider: new ViberProvider(api) };
}

const message = (n: number, recipient = `user-${n}==`, body = `hello ${n}`): OutgoingMessage => ({
  id: `message-${n}`,
  recipient,
  body,
  sender: null,
});

const request = (n: number, recipient?: string, body?: string) =>
  viberSendMessageRequest(message(n, recipient, body), 'Tests');

/** Settles on the next turn of the event loop: 'pending' if `promise` hasn't settled by then. */

async function sendMany(provider: ViberProvider, count: number): Promise<SendResult[]> {
  const results: SendResult[] = [];
  for (let n = 0; n < count; n++) results.push(await provider.send(message(n)));
  return results;
}

describe('ViberRestApiEmulator', () => {
  it('answers an accepted message with status 0 and a 19-digit message_token below 2^63', async () => {
    const { api } = setUp();
    const answers: ViberResponse[] = [];
    for (let n = 0; n < 200; n++) answers.push(await api.sendMessage(request(n)));

    expect(answers[0]).toStrictEqual({
      ...VIBER_STATUSES.ok.response,
      message_token: expect.stringMatching(/^\d{19}$/),
    });
    const tokens = answers.map((answer) => answer.message_token ?? '');
    for (const token of tokens) {
      expect(token).toMatch(/^[1-9]\d{18}$/);
      expect(BigInt(token)).toBeLessThan(2n ** 63n);
    }
    expect(new Set(tokens).size).toBe(tokens.length);
  });

  it('the provider reports the message_token as the id', async () => {
    const { provider } = setUp();
    for (const result of await sendMany(provider, 5)) {
      expect(result).toStrictEqual({ outcome: 'sent', providerMessageId: expect.stringMatching(/^\d{19}$/) });
    }
  });

  describe('its test ids', () => {
    const tooMany: SendResult = { outcome: 'retry', code: '12', description: 'tooManyRequests', rateLimited: true };
    const sent: SendResult = { outcome: 'sent', providerMessageId: expect.stringMatching(/^\d{19}$/) };
    const failed = (code: string, description: string): SendResult => ({ outcome: 'failed', code, description });

    /** What each test id gives on successive attempts at one message; 'pending' for no answer at all. */
    const EXPECTED: Record<string, readonly SendResult[] | 'pending'> = {
      'test-ok': [sent, sent],
      'test-not-registered': [failed('5', 'receiverNotRegistered'), failed('5', 'receiverNotRegistered')],
      'test-not-subscribed': [failed('6', 'receiverNotSubscribed'), failed('6', 'receiverNotSubscribed')],
      'test-no-device': [failed('11', 'receiverNoSuitableDevice'), failed('11', 'receiverNoSuitableDevice')],
      'test-rate-limited': [tooMany, tooMany, sent, sent],
      'test-timeout': 'pending',
    };

    itDrivesEachTestRecipientAsDocumented({
      recipients: VIBER_TEST_RECIPIENTS,
      expected: EXPECTED,
      providerWith: (failureRate) => setUp({ EMULATOR_FAILURE_RATE: failureRate }).provider,
      answerShows: (r) => `status ${r.code} ${r.description}`,
    });

    it('counts each message (tracking_data) apart', async () => {
      const { provider } = setUp();
      const first = { id: 'message-1', recipient: 'test-rate-limited', body: 'same text', sender: null };
      const second = { id: 'message-2', recipient: 'test-rate-limited', body: 'same text', sender: null };
      await expect(provider.send(first)).resolves.toStrictEqual(tooMany);
      await expect(provider.send(first)).resolves.toStrictEqual(tooMany);
      await expect(provider.send(second)).resolves.toStrictEqual(tooMany);
      await expect(provider.send(first)).resolves.toMatchObject({ outcome: 'sent' });
      await expect(provider.send(second)).resolves.toStrictEqual(tooMany);
      await expect(provider.send(second)).resolves.toMatchObject({ outcome: 'sent' });
    });
  });

  describe('its enforced limit', () => {
    it('answers status 12 past the limit, which the provider retries rate-limited', async () => {
      const { api, provider } = setUp({ EMULATOR_VIBER: 'limit=2/60000' });
      await expect(provider.send(message(1))).resolves.toMatchObject({ outcome: 'sent' });
      await expect(provider.send(message(2))).resolves.toMatchObject({ outcome: 'sent' });
      await expect(api.sendMessage(request(3))).resolves.toStrictEqual(VIBER_STATUSES.tooManyRequests.response);
      await expect(provider.send(message(4))).resolves.toStrictEqual({
        outcome: 'retry',
        code: '12',
        description: 'tooManyRequests',
        rateLimited: true,
      });
    });

    it('has no per-recipient interval: back-to-back messages to one id go through', async () => {
      const { provider } = setUp();
      for (let n = 0; n < 10; n++)
        await expect(provider.send(message(n, 'same-user'))).resolves.toMatchObject({ outcome: 'sent' });
    });
  });

  describe('random failures', () => {
    it('answers a retryable status to everything with EMULATOR_FAILURE_RATE=1', async () => {
      const { api, provider } = setUp({ EMULATOR_FAILURE_RATE: '1' });
      for (let n = 0; n < 20; n++) {
        const answer = await api.sendMessage(request(n));
        expect(answer.status).not.toBe(0);
        expect(answer.message_token).toBeUndefined();
      }
      for (const result of await sendMany(provider, 20)) {
        expect(result).toMatchObject({ outcome: 'retry', code: expect.stringMatching(/^[1-9]\d*$/) });
        expect(result).not.toHaveProperty('rateLimited');
      }
    });

    it('refuses everything for good with EMULATOR_PERMANENT_RATE=1, in each of its random statuses, which the provider fails', async () => {
      const { api, provider } = setUp({ EMULATOR_PERMANENT_RATE: '1' });
      const random = [
        VIBER_STATUSES.receiverNotRegistered,
        VIBER_STATUSES.receiverNotSubscribed,
        VIBER_STATUSES.receiverNoSuitableDevice,
      ].map((s) => s.response);
      const statuses = new Set<number>();
      for (let n = 0; n < 60; n++) {
        const answer = await api.sendMessage(request(n));
        expect(random).toContainEqual(answer);
        statuses.add(answer.status);
      }
      expect([...statuses].sort((a, b) => a - b)).toStrictEqual([5, 6, 11]);
      for (const result of await sendMany(provider, 30)) {
        expect(result).toMatchObject({ outcome: 'failed', code: expect.stringMatching(/^(5|6|11)$/) });
      }
    });
  });

  describe('a text over 7000 characters, built past the API’s validation', () => {
    it('is refused with status 3, and the provider fails it', async () => {
      const { api, provider } = setUp();
      await expect(api.sendMessage({ ...request(1), text: 'x'.repeat(7001) })).resolves.toStrictEqual(
        VIBER_STATUSES.badData.response,
      );
      await expect(provider.send(message(2, 'user-2==', 'x'.repeat(7001)))).resolves.toStrictEqual({
        outcome: 'failed',
        code: '3',
        description: 'badData',
      });
    });

    it('takes exactly 7000 characters, counted as code points', async () => {
      const { provider } = setUp();
      await expect(provider.send(message(1, 'user-1==', '😀'.repeat(7000)))).resolves.toMatchObject({
        outcome: 'sent',
      });
      await expect(provider.send(message(2, 'user-2==', 'x'.repeat(7000)))).resolves.toMatchObject({ outcome: 'sent' });
    });
  });

  itReplaysRunsFromTheSeed((seed) =>
    sendMany(setUp({ EMULATOR_SEED: seed, EMULATOR_FAILURE_RATE: '0.5' }).provider, 100),
  );
});
