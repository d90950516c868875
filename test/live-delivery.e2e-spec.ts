import { SenderDirectory } from '../src/providers/senders/sender-directory';
import { MESSENGER_NAMES, MESSENGERS, type MessengerName } from '../src/providers/messengers';
import type { ServerInboxDelivery } from '../src/emulator-server/emulator-server-inbox.controller';
import { type EmulatorServer, startEmulatorServer } from './support/emulator-server';
import { aMessageRequest, aRecipient, type RecipientInput } from './support/factories';
import type { MessageRow } from './support/messages';
import { SenderListFile, sendersAt, type SenderTokens } from './support/sender-list';
import { waitFor } from './support/service-process';
import { createTestApp, type TestApp } from './support/test-app';
import { captureLogs, type CapturedLogs } from './support/test-logs';

/**
 * The live clients end to end: sender accounts whose base_url is the emulator server (APP_ROLE=emulators), over
 * real sockets, for every messenger. What the server's inbox holds is the proof of delivery; the in-process
 * emulators are the yardstick the live path must match.
 */

const NAMES: Record<MessengerName, string> = { telegram: 'live-bot', whatsapp: 'live-wa', viber: 'live-viber' };
const GOOD: SenderTokens = {
  telegram: '123456:AAE-live-e2e-telegram-token',
  whatsapp: 'EAAG-live-e2e-whatsapp-access-token',
  viber: '4453b6ac-live-e2e-viber-auth-token',
};
/** The emulator server refuses a token that starts with "revoked", as each API refuses a revoked one. */
const REVOKED: SenderTokens = {
  telegram: 'revoked-123456:AAE-live-e2e-telegram-token',
  whatsapp: 'revoked-EAAG-live-e2e-whatsapp-access-token',
  viber: 'revoked-4453b6ac-live-e2e-viber-auth-token',
};
/** The accounts of the lost-answer server: tokens of their own, so a leak is told apart. */
const LOSSY: SenderTokens = {
  telegram: '654321:AAE-live-e2e-lossy-telegram-token',
  whatsapp: 'EAAG-live-e2e-lossy-whatsapp-access-token',
  viber: '4453b6ac-live-e2e-lossy-viber-auth-token',
};
const ALL_TOKENS = [GOOD, REVOKED, LOSSY].flatMap((tokens) => Object.values(tokens));
/** What each messenger answers a revoked token with, as last_error_code (Bot API 401, Graph 190, Viber status 2). */
const REFUSED_CODE: Record<MessengerName, string> = { telegram: '401', whatsapp: '190', viber: '2' };

/** Generous: the machine may be loaded; a wait that holds ends as soon as it holds. */
const WAIT_MS = 60_000;
const PROBE_INTERVAL_MS = 300;
jest.setTimeout(120_000);

/** Retries at once (the backoff of every retry is 1 ms, jitter included): the specs wait on conditions, not on it. */
const RETRY_ENV = { RETRY_BASE_DELAY_MS: '1', RETRY_MAX_DELAY_MS: '1' };
const FIRST_BACKOFF_MS = 1;

const SENDERS_ENV = {
  ...RETRY_ENV,
  SENDERS_POLL_INTERVAL_MS: '100',
  SENDER_PROBE_INTERVAL_MS: String(PROBE_INTERVAL_MS),
  // The attempt lines (info and warn) are captured: their retryInMs, and that none holds a token.
  LOG_LEVEL: 'info',
};

/** Every answer the service gave in this file, to look for tokens in. */
const answers: string[] = [];

interface MessageView {
  readonly id: string;
  readonly status: string;
  readonly sender: string | null;
  readonly retries_count: number;
  readonly attempts: number;
  readonly last_error: string | null;
  readonly last_error_code: string | null;
  readonly provider_message_id: string | null;
}
interface AttemptView {
  readonly outcome: string;
  readonly code: string | null;
  readonly provider_message_id: string | null;
}

async function post(t: TestApp, recipients: RecipientInput[], body?: string): Promise<MessageView[]> {
  const request = aMessageRequest({ recipients, ...(body === undefined ? {} : { body }) });
  const response = await t.http.post('/messages').send(request).expect(202);
  answers.push(response.text);
  return (response.body as { messages: MessageView[] }).messages;
}

async function shown(t: TestApp, id: string): Promise<MessageView> {
  const response = await t.http.get(`/messages/${id}`).expect(200);
  answers.push(response.text);
  return response.body as MessageView;
}

async function attemptsOf(t: TestApp, id: string): Promise<AttemptView[]> {
  const response = await t.http.get(`/messages/${id}/attempts`).expect(200);
  answers.push(response.text);
  return (response.body as { items: AttemptView[] }).items;
}

/** What the server's messenger accepted, from every caller, newest first. */
async function inbox(server: EmulatorServer, provider: MessengerName): Promise<ServerInboxDelivery[]> {
  const response = await fetch(`${server.url}/emulators/${provider}/inbox?limit=1000`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { items: ServerInboxDelivery[] }).items;
}

/** The server's deliveries under one key (a message id): exactly one per message delivered. */
const deliveriesOf = (items: readonly ServerInboxDelivery[], id: string) =>
  items.filter((item) => item.idempotency_key === id);

/** Whether every account of the file is in use with `tokens` (the file is polled every SENDERS_POLL_INTERVAL_MS). */
function usesTokens(t: TestApp, tokens: SenderTokens): boolean {
  const directory = t.app.get(SenderDirectory);
  return MESSENGER_NAMES.every((provider) => {
    const account = directory.named(NAMES[provider]);
    return account?.provider === provider && (account.credentials as { token: string }).token === tokens[provider];
  });
}

async function statuses(t: TestApp, ids: readonly string[]): Promise<MessageRow[]> {
  return t.sql<MessageRow>('SELECT * FROM messages WHERE id = ANY($1)', [ids]);
}

/**
 * Dispatches until none of `ids` is pending. `hurry`: a pending message is made due at once after each pass,
 * so a rate limit's retry-after (6 s for WhatsApp's pair limit) is not waited out; the attempt lines show
 * the retry-after the service scheduled, which is what is compared.
 */
async function settle(t: TestApp, ids: readonly string[], hurry = false): Promise<void> {
  await waitFor(
    `messages ${ids.join(', ')} are settled`,
    async () => {
      await t.dispatch.dispatchDue();
      const rows = await statuses(t, ids);
      if (rows.every((row) => row.status !== 'pending')) return true;
      if (hurry)
        await t.sql(`UPDATE messages SET next_attempt_at = now() WHERE id = ANY($1) AND status = 'pending'`, [ids]);
      return false;
    },
    WAIT_MS,
  );
}

describe('the live clients against the emulator server, over real sockets', () => {
  let logs: CapturedLogs;
  let server: EmulatorServer;
  let live: TestApp;
  const senders = new SenderListFile();

  /** A single attempt line per attempt of the message, in order: what the dispatcher decided and scheduled. */
  const attemptLines = (id: string) =>
    logs.entries
      .filter((entry) => entry.event === 'delivery_attempt' && entry.messageId === id)
      .map((entry) => ({ outcome: entry.outcome, code: entry.code, retryInMs: entry.retryInMs }));

  const useSenders = async (tokens: SenderTokens) => {
    senders.write(sendersAt(server.url, NAMES, tokens));
    await waitFor('the sender list is in use', async () => usesTokens(live, tokens), WAIT_MS);
  };

  beforeAll(async () => {
    logs = captureLogs();
    // The server's request lines too (a bot token sits in their path): none may show a token.
    server = await startEmulatorServer({ LOG_LEVEL: 'info' });
    senders.write(sendersAt(server.url, NAMES, GOOD));
    live = await createTestApp({ env: { SENDERS_FILE: senders.path, ...SENDERS_ENV } });
  });

  afterAll(async () => {
    await live?.close();
    await server?.close();
    logs?.stop();
    senders.remove();
  });

  beforeEach(async () => {
    await live.reset();
    await live.sql('DELETE FROM sender_accounts_state');
    if (!usesTokens(live, GOOD)) await useSenders(GOOD);
  });

  it('delivers to every messenger over HTTP: the sender recorded and shown, one delivery each in the server inbox', async () => {
    const recipients = MESSENGER_NAMES.flatMap((provider) => [aRecipient[provider](), aRecipient[provider]()]);
    const body = `Your parcel ✓ «${Date.now()}» has shipped.`;
    const posted = await post(live, recipients, body);
    expect(posted.map((message) => message.sender)).toEqual(recipients.map((r) => NAMES[r.provider as MessengerName]));

    await settle(
      live,
      posted.map((message) => message.id),
    );

    for (const [i, message] of posted.entries()) {
      const provider = recipients[i].provider as MessengerName;
      const view = await shown(live, message.id);
      expect(view).toMatchObject({
        status: 'sent',
        sender: NAMES[provider],
        retries_count: 0,
        attempts: 1,
        provider_message_id: expect.any(String),
      });
      const delivered = deliveriesOf(await inbox(server, provider), message.id);
      expect(delivered).toEqual([
        expect.objectContaining({
          recipient: recipients[i].recipient,
          body,
          provider_message_id: view.provider_message_id,
        }),
      ]);
    }
    // Nothing went to the in-process messengers: every message had an account.
    for (const provider of MESSENGER_NAMES) expect(live.messengers[provider].calls).toHaveLength(0);
  });

  describe('parity with the in-process emulator, for each documented test recipient', () => {
    /** The same service with no SENDERS_FILE: the built-in emulators, with the same settings as the server's. */
    let inProcess: TestApp;
    beforeAll(async () => {
      inProcess = await createTestApp({ realEmulators: true, env: { ...RETRY_ENV, LOG_LEVEL: 'info' } });
    });
    afterAll(() => inProcess?.close());

    // A recipient that never answers is left out: it is the send timeout's case, 1 + MAX_RETRIES timeouts long.
    const table = MESSENGERS.flatMap((messenger) =>
      messenger.testRecipients
        .filter((entry) => entry.verdict.kind !== 'timeout')
        .map((entry) => [messenger.name, entry.recipient, entry.outcome, entry] as const),
    );

    /** What the definition documents as "where the message ends up in our service". */
    const documented = (outcome: string) => {
      const failed = /failed at once \(code (\w+)\)/.exec(outcome);
      if (failed) return { status: 'failed', last_error_code: failed[1], retries_count: 0, attempts: 1 };
      const third = /sent on the 3rd attempt, retries_count (\d+)/.exec(outcome);
      if (third) return { status: 'sent', retries_count: Number(third[1]), attempts: 3 };
      if (/^sent, never/.test(outcome)) return { status: 'sent', last_error_code: null, retries_count: 0, attempts: 1 };
      throw new Error(`no expectation for the documented outcome "${outcome}"`);
    };

    it.each(table)('%s %s (%s): the same outcome live as in process', async (provider, recipient, outcome, entry) => {
      const [viaServer] = await post(live, [{ provider, recipient }]);
      const [viaEmulator] = await post(inProcess, [{ provider, recipient }]);
      expect(viaServer.sender).toBe(NAMES[provider]);
      expect(viaEmulator.sender).toBeNull();

      await settle(live, [viaServer.id], true);
      await settle(inProcess, [viaEmulator.id], true);

      const pick = ({ status, last_error_code, retries_count, attempts }: MessageView) => ({
        status,
        last_error_code,
        retries_count,
        attempts,
      });
      const liveOutcome = pick(await shown(live, viaServer.id));
      expect(liveOutcome).toEqual(pick(await shown(inProcess, viaEmulator.id)));
      expect(liveOutcome).toMatchObject(documented(outcome));

      // Attempt by attempt: the same outcomes and codes, the same delay scheduled after each (a rate limit's
      // retry-after included).
      const history = (attempts: AttemptView[]) => attempts.map(({ outcome, code }) => ({ outcome, code }));
      expect(history(await attemptsOf(live, viaServer.id))).toEqual(
        history(await attemptsOf(inProcess, viaEmulator.id)),
      );
      expect(attemptLines(viaServer.id)).toEqual(attemptLines(viaEmulator.id));
      expect(attemptLines(viaServer.id)).toHaveLength(liveOutcome.attempts);
      if (entry.verdict.kind === 'throttled') {
        // Telegram's retry_after and WhatsApp's pair limit say how long to wait; Viber's status 12 does not (the
        // first backoff then).
        const retryInMs = provider === 'viber' ? FIRST_BACKOFF_MS : entry.verdict.retryAfterMs;
        expect(attemptLines(viaServer.id).slice(0, 2)).toEqual([
          { outcome: 'rate_limited', code: expect.any(String), retryInMs },
          { outcome: 'rate_limited', code: expect.any(String), retryInMs },
        ]);
      }

      // Delivered once over HTTP when sent, never when refused.
      const delivered = deliveriesOf(await inbox(server, provider), viaServer.id);
      expect(delivered).toHaveLength(liveOutcome.status === 'sent' ? 1 : 0);
      expect(live.messengers[provider].calls).toHaveLength(0);
    });
  });

  it('keeps a revoked account’s messages pending with its code and no retry spent; once fixed, delivers them itself', async () => {
    await useSenders(REVOKED);
    const recipients = MESSENGER_NAMES.map((provider) => aRecipient[provider]());
    const posted = await post(live, recipients);
    await live.dispatch.dispatchDue();

    for (const [i, message] of posted.entries()) {
      const provider = recipients[i].provider as MessengerName;
      expect(await shown(live, message.id)).toMatchObject({
        status: 'pending',
        sender: NAMES[provider],
        retries_count: 0,
        last_error_code: REFUSED_CODE[provider],
      });
      expect(deliveriesOf(await inbox(server, provider), message.id)).toHaveLength(0);
    }
    const paused = await live.sql('SELECT name, paused FROM sender_accounts_state ORDER BY name');
    expect(paused).toEqual(
      Object.values(NAMES)
        .sort()
        .map((name) => ({ name, paused: true })),
    );
    // The metrics name the paused accounts, and only by name (the last spec checks the text for tokens).
    const metrics = (await live.http.get('/metrics').expect(200)).text;
    answers.push(metrics);
    for (const name of Object.values(NAMES)) {
      expect(metrics).toContain(`dispatch_sender_account_failing{sender="${name}"} 1`);
    }

    // The file fixed: each account's probe, SENDER_PROBE_INTERVAL_MS later, delivers its message and resumes it.
    senders.write(sendersAt(server.url, NAMES, GOOD));
    const ids = posted.map((message) => message.id);
    await settle(live, ids);
    for (const [i, message] of posted.entries()) {
      const provider = recipients[i].provider as MessengerName;
      expect(await shown(live, message.id)).toMatchObject({ status: 'sent', retries_count: 0 });
      // Each refused attempt is in the history with the account's code; the probe's is the one that went.
      const history = await attemptsOf(live, message.id);
      expect(history.at(-1)).toMatchObject({ outcome: 'sent', code: null });
      expect(history.slice(0, -1).map((attempt) => attempt.code)).toEqual(
        history.slice(0, -1).map(() => REFUSED_CODE[provider]),
      );
      expect(history.length).toBeGreaterThan(1);
      expect(deliveriesOf(await inbox(server, provider), message.id)).toHaveLength(1);
    }
  });

  describe('with every first answer lost (EMULATOR_LOST_ANSWER_RATE=1)', () => {
    let lossy: EmulatorServer;
    let t: TestApp;
    const lossySenders = new SenderListFile();

    beforeAll(async () => {
      lossy = await startEmulatorServer({ EMULATOR_LOST_ANSWER_RATE: '1', LOG_LEVEL: 'info' });
      lossySenders.write(sendersAt(lossy.url, NAMES, LOSSY));
      t = await createTestApp({ env: { SENDERS_FILE: lossySenders.path, ...SENDERS_ENV } });
    });
    afterAll(async () => {
      await t?.close();
      await lossy?.close();
      lossySenders.remove();
    });

    it('retries with the same Idempotency-Key: one delivery per message on the server, none twice', async () => {
      const recipients = MESSENGER_NAMES.flatMap((provider) => Array.from({ length: 4 }, () => aRecipient[provider]()));
      const posted = await post(t, recipients);
      const ids = posted.map((message) => message.id);
      await settle(t, ids);

      for (const [i, message] of posted.entries()) {
        const provider = recipients[i].provider as MessengerName;
        const view = await shown(t, message.id);
        // The connection dropped after the request was written: the lost-answer case, one retry spent.
        expect(view).toMatchObject({ status: 'sent', retries_count: 1, attempts: 2 });
        expect((await attemptsOf(t, message.id)).map(({ outcome, code }) => ({ outcome, code }))).toEqual([
          { outcome: 'retry', code: 'connection_lost' },
          { outcome: 'sent', code: null },
        ]);
        const delivered = deliveriesOf(await inbox(lossy, provider), message.id);
        // Delivered by the first attempt; the retry was answered with the original id from the server's memory.
        expect(delivered).toEqual([expect.objectContaining({ provider_message_id: view.provider_message_id })]);
      }
      for (const provider of MESSENGER_NAMES) {
        const items = await inbox(lossy, provider);
        const keys = items.map((item) => item.idempotency_key);
        expect(new Set(keys).size).toBe(keys.length);
        expect(items).toHaveLength(recipients.filter((r) => r.provider === provider).length);
        expect(t.messengers[provider].calls).toHaveLength(0);
      }
    });
  });

  it('let no token into any log line or answer', async () => {
    // Lines of both sides were seen: the dispatcher's attempts through accounts, and the server's requests.
    expect(logs.entries.some((entry) => entry.event === 'delivery_attempt' && entry.sender === NAMES.telegram)).toBe(
      true,
    );
    expect(logs.entries.some((entry) => JSON.stringify(entry).includes('/bot[REDACTED]/sendMessage'))).toBe(true);
    expect(answers.length).toBeGreaterThan(0);
    // The answers about the accounts themselves: the metrics named them while they were paused.
    expect(answers.some((answer) => answer.includes(`sender="${NAMES.telegram}"`))).toBe(true);

    const logText = JSON.stringify(logs.entries);
    const answerText = answers.join('\n');
    for (const token of ALL_TOKENS) {
      expect(logText).not.toContain(token);
      expect(answerText).not.toContain(token);
    }
  });
});
