import { itDrivesEachTestRecipientAsDocumented, itReplaysRunsFromTheSeed } from '../../../test/support/emulator-specs';
import { loadConfig } from '../../config/app-config';
import type { OutgoingMessage, SendResult } from '../messenger-provider';
import type {
  WhatsAppErrorEntry,
  WhatsAppErrorResponse,
  WhatsAppResponse,
  WhatsAppSendRequest,
} from './whatsapp-cloud-api';
import { WHATSAPP_ERRORS, whatsAppSendRequest } from './whatsapp-cloud-api';
import { WHATSAPP_TEST_RECIPIENTS, WhatsAppCloudApiEmulator } from './whatsapp-cloud-api.emulator';
import { WhatsAppProvider } from './whatsapp.provider';

/** Seeded, instant, never failing at random: each test turns on what it is about. */
const QUIET = {
  EMULATOR_SEED: '7',
  EMULATOR_LATENCY_MS: '0',
  EMULATOR_FAILURE_RATE: '0',
  EMULATOR_RATE_LIMITED_RATE: '0',
  EMULATOR_PERMANENT_RATE: '0',
};

function setUp(env: Record<string, string> = {}) {
  const api = new WhatsAppCloudApiEmulator(loadConfig({ ...QUIET, ...env }));
  return { api, provider: new WhatsAppProvider(api) };
}

const message = (
  n: number,
  recipient = `+1415555${String(n).padStart(4, '0')}`,
  body = `hello ${n}`,
): OutgoingMessage => ({
  id: `message-${n}`,
  recipient,
  body,
  sender: null,
});

/** Settles on the next turn of the event loop: 'pending' if `promise` hasn't settled by then. */

async function sendMany(provider: WhatsAppProvider, count: number): Promise<SendResult[]> {
  const results: SendResult[] = [];
  for (let n = 0; n < count; n++) results.push(await provider.send(message(n)));
  return results;
}

/** The catalogued error, as the emulator answers it: with a trace id of its own. */
const wire = (entry: WhatsAppErrorEntry): { httpStatus: number; body: WhatsAppErrorResponse } => ({
  httpStatus: entry.httpStatus,
  body: { error: { ...entry.error, fbtrace_id: expect.stringMatching(/^[A-Za-z0-9_-]{27}$/) } },
});

/** The description the provider gives a catalogued error: its message and its details. */
const descriptionOf = (entry: WhatsAppErrorEntry) => `${entry.error.message}: ${entry.error.error_data?.details}`;

const codeOf = (body: WhatsAppResponse) => ('error' in body ? body.error.code : 0);

describe('WhatsAppCloudApiEmulator', () => {
  it('answers an accepted message as the Cloud API does: HTTP 200, the contact and a wamid', async () => {
    const { api } = setUp();
    const answers = [];
    for (let n = 0; n < 20; n++) answers.push(await api.sendMessage(whatsAppSendRequest(message(n))));

    expect(answers[0]).toStrictEqual({
      httpStatus: 200,
      body: {
        messaging_product: 'whatsapp',
        contacts: [{ input: '14155550000', wa_id: '14155550000' }],
        messages: [{ id: expect.stringMatching(/^wamid\.[A-Za-z0-9_-]{36}$/) }],
      },
    });
    const ids = answers.map(({ body }) => ('messages' in body ? body.messages[0].id : ''));
    for (const id of ids) expect(id).toMatch(/^wamid\./);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('the provider reports the wamid as the id', async () => {
    const { provider } = setUp();
    for (const result of await sendMany(provider, 5)) {
      expect(result).toStrictEqual({ outcome: 'sent', providerMessageId: expect.stringMatching(/^wamid\./) });
    }
  });

  describe('its test numbers', () => {
    const pair: SendResult = {
      outcome: 'retry',
      code: '131056',
      description: descriptionOf(WHATSAPP_ERRORS.pairRateLimit),
      rateLimited: true,
      retryAfterMs: 6000,
    };
    const wentWrong: SendResult = {
      outcome: 'retry',
      code: '131000',
      description: descriptionOf(WHATSAPP_ERRORS.somethingWentWrong),
    };
    const sent: SendResult = { outcome: 'sent', providerMessageId: expect.stringMatching(/^wamid\./) };
    const failed = (entry: WhatsAppErrorEntry): SendResult => ({
      outcome: 'failed',
      code: String(entry.error.code),
      description: descriptionOf(entry),
    });

    /** What each test number gives on successive attempts at one message; 'pending' for no answer at all. */
    const EXPECTED: Record<string, readonly SendResult[] | 'pending'> = {
      '+15550000200': [sent, sent],
      '+15550131026': [failed(WHATSAPP_ERRORS.undeliverable), failed(WHATSAPP_ERRORS.undeliverable)],
      '+15550131047': [failed(WHATSAPP_ERRORS.reEngagement), failed(WHATSAPP_ERRORS.reEngagement)],
      '+15550131056': [pair, pair, sent, sent],
      '+15550131000': [wentWrong, wentWrong, sent, sent],
      '+15550000504': 'pending',
    };

    itDrivesEachTestRecipientAsDocumented({
      recipients: WHATSAPP_TEST_RECIPIENTS,
      expected: EXPECTED,
      providerWith: (failureRate) =>
        setUp({ EMULATOR_FAILURE_RATE: failureRate, EMULATOR_WHATSAPP: 'recipient_interval_ms=0' }).provider,
      answerShows: (r) => `${r.code} `,
    });

    it('answers the documented wire errors', async () => {
      const { api } = setUp({ EMULATOR_WHATSAPP: 'recipient_interval_ms=0' });
      const request = (to: string): WhatsAppSendRequest =>
        whatsAppSendRequest({ id: 'm', recipient: to, body: 'wire', sender: null });
      await expect(api.sendMessage(request('+15550131026'))).resolves.toStrictEqual(
        wire(WHATSAPP_ERRORS.undeliverable),
      );
      await expect(api.sendMessage(request('+15550131047'))).resolves.toStrictEqual(wire(WHATSAPP_ERRORS.reEngagement));
      await expect(api.sendMessage(request('+15550131056'))).resolves.toStrictEqual(
        wire(WHATSAPP_ERRORS.pairRateLimit),
      );
      await expect(api.sendMessage(request('+15550131000'))).resolves.toStrictEqual(
        wire(WHATSAPP_ERRORS.somethingWentWrong),
      );
    });
  });

  describe('its enforced limits', () => {
    it('answers 130429 once the overall throughput is used up, which the provider retries rate-limited', async () => {
      const { api, provider } = setUp({ EMULATOR_WHATSAPP: 'limit=2/60000,recipient_interval_ms=0' });
      await expect(provider.send(message(1))).resolves.toMatchObject({ outcome: 'sent' });
      await expect(provider.send(message(2))).resolves.toMatchObject({ outcome: 'sent' });
      await expect(api.sendMessage(whatsAppSendRequest(message(3)))).resolves.toStrictEqual(
        wire(WHATSAPP_ERRORS.throughputLimit),
      );
      await expect(provider.send(message(4))).resolves.toStrictEqual({
        outcome: 'retry',
        code: '130429',
        description: expect.stringContaining('(#130429) Rate limit hit'),
        rateLimited: true,
      });
    });

    it('answers 131056 to a second message to one number within the pair interval (default 6 s), not to another number', async () => {
      const { api, provider } = setUp();
      await expect(provider.send(message(1, '+14155550100'))).resolves.toMatchObject({ outcome: 'sent' });
      await expect(api.sendMessage(whatsAppSendRequest(message(2, '+14155550100')))).resolves.toStrictEqual(
        wire(WHATSAPP_ERRORS.pairRateLimit),
      );
      await expect(provider.send(message(3, '+14155550100'))).resolves.toMatchObject({
        outcome: 'retry',
        code: '131056',
        rateLimited: true,
        retryAfterMs: 6000,
      });
      await expect(provider.send(message(4, '+14155550101'))).resolves.toMatchObject({ outcome: 'sent' });
    });
  });

  describe('random failures', () => {
    it('answers 131000 with HTTP 500 to everything with EMULATOR_FAILURE_RATE=1, which the provider retries', async () => {
      const { api, provider } = setUp({ EMULATOR_FAILURE_RATE: '1' });
      for (let n = 0; n < 20; n++) {
        await expect(api.sendMessage(whatsAppSendRequest(message(n)))).resolves.toStrictEqual(
          wire(WHATSAPP_ERRORS.somethingWentWrong),
        );
      }
      expect(WHATSAPP_ERRORS.somethingWentWrong.httpStatus).toBe(500);
      for (const result of await sendMany(provider, 20)) {
        expect(result).toMatchObject({ outcome: 'retry', code: '131000' });
        expect(result).not.toHaveProperty('rateLimited');
      }
    });

    it('refuses everything for good with EMULATOR_PERMANENT_RATE=1, in each of its random errors, which the provider fails', async () => {
      const { api, provider } = setUp({ EMULATOR_PERMANENT_RATE: '1' });
      const codes = new Set<number>();
      for (let n = 0; n < 40; n++) {
        const answer = await api.sendMessage(whatsAppSendRequest(message(n)));
        expect([wire(WHATSAPP_ERRORS.undeliverable), wire(WHATSAPP_ERRORS.reEngagement)]).toContainEqual(answer);
        codes.add(codeOf(answer.body));
      }
      expect([...codes].sort()).toStrictEqual([131026, 131047]);
      for (const result of await sendMany(provider, 20)) {
        expect(result).toMatchObject({ outcome: 'failed', code: expect.stringMatching(/^(131026|131047)$/) });
      }
    });
  });

  describe('a body over 4096 characters, built past the API’s validation', () => {
    it('is refused with 131009, and the provider fails it', async () => {
      const { api, provider } = setUp();
      const request = {
        ...whatsAppSendRequest(message(1)),
        text: { preview_url: false as const, body: 'x'.repeat(4097) },
      };
      await expect(api.sendMessage(request)).resolves.toStrictEqual(wire(WHATSAPP_ERRORS.parameterValueInvalid));
      await expect(provider.send(message(2, '+14155550102', 'x'.repeat(4097)))).resolves.toMatchObject({
        outcome: 'failed',
        code: '131009',
      });
    });

    it('takes exactly 4096 characters, counted as code points', async () => {
      const { provider } = setUp();
      await expect(provider.send(message(1, '+14155550103', '😀'.repeat(4096)))).resolves.toMatchObject({
        outcome: 'sent',
      });
      await expect(provider.send(message(2, '+14155550104', 'x'.repeat(4096)))).resolves.toMatchObject({
        outcome: 'sent',
      });
    });
  });

  itReplaysRunsFromTheSeed((seed) =>
    sendMany(setUp({ EMULATOR_SEED: seed, EMULATOR_FAILURE_RATE: '0.5' }).provider, 100),
  );
});
