import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../src/config/app-config';
import { SenderDirectory } from '../src/providers/senders/sender-directory';
import { FakeMessengerApi } from './support/fake-messenger-api';
import { aRecipient } from './support/factories';
import { messageRow, postMessages } from './support/messages';
import { waitFor } from './support/service-process';
import { createTestApp, type TestApp } from './support/test-app';
import { captureLogs, type CapturedLogs } from './support/test-logs';

const GOOD_TOKEN = '123456:AAE-senders-e2e-good-token';
const REVOKED_TOKEN = 'revoked-123456:AAE-senders-e2e-token';
const PROBE_INTERVAL_MS = 400;

describe('Sender accounts (SENDERS_FILE): delivery over HTTP, pausing a refused account', () => {
  const api = new FakeMessengerApi();
  const dir = mkdtempSync(join(tmpdir(), 'senders-e2e-'));
  const file = join(dir, 'senders.json');
  let t: TestApp;
  let logs: CapturedLogs;

  /** Replaces the file whole (write, then rename), as a mounted secret is replaced. */
  const writeSenders = (token: string) => {
    const next = join(dir, 'senders.next.json');
    writeFileSync(
      next,
      JSON.stringify([{ client: '*', provider: 'telegram', name: 'billing-bot', token, base_url: api.baseUrl }]),
    );
    renameSync(next, file);
  };
  const tokenInUse = () => {
    const account = t.app.get(SenderDirectory).named('billing-bot');
    return account?.provider === 'telegram' ? account.credentials.token : undefined;
  };
  const telegramCalls = () => api.requests.filter((request) => request.path.endsWith('/sendMessage'));

  beforeAll(async () => {
    await api.start();
    writeSenders(GOOD_TOKEN);
    logs = captureLogs();
    t = await createTestApp({
      env: {
        SENDERS_FILE: file,
        SENDERS_POLL_INTERVAL_MS: '100',
        SENDER_PROBE_INTERVAL_MS: String(PROBE_INTERVAL_MS),
        LOG_LEVEL: 'info',
      },
    });
  });

  afterAll(async () => {
    logs?.stop();
    await t?.close();
    await api.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  beforeEach(async () => {
    await t.reset();
    await t.sql('DELETE FROM sender_accounts_state');
    api.requests.length = 0;
    if (tokenInUse() !== GOOD_TOKEN) {
      writeSenders(GOOD_TOKEN);
      await waitFor('the good token is in use', async () => tokenInUse() === GOOD_TOKEN);
    }
  });

  it('records the sender at acceptance, shows it in GET, and delivers over HTTP; without an account, the emulator', async () => {
    const [telegram, whatsapp] = await postMessages(t, { recipients: [aRecipient.telegram(), aRecipient.whatsapp()] });
    expect(telegram.sender).toBe('billing-bot');
    expect(whatsapp.sender).toBeNull();

    await t.dispatch.dispatchDue();

    const shown = (await t.http.get(`/messages/${telegram.id}`).expect(200)).body;
    expect(shown).toMatchObject({ status: 'sent', sender: 'billing-bot', provider_message_id: expect.any(String) });
    expect(JSON.stringify(shown)).not.toContain(GOOD_TOKEN);
    expect((await t.http.get(`/messages/${whatsapp.id}`).expect(200)).body).toMatchObject({
      status: 'sent',
      sender: null,
    });
    expect(telegramCalls()).toHaveLength(1);
    expect(telegramCalls()[0]).toMatchObject({
      method: 'POST',
      path: `/bot${GOOD_TOKEN}/sendMessage`,
      headers: { 'idempotency-key': telegram.id },
    });
    // The message without an account went to the in-process messenger, not over HTTP.
    expect(t.messengers.whatsapp.calls).toHaveLength(1);
    expect(t.messengers.telegram.calls).toHaveLength(0);
  });

  it('pauses an account whose token is refused: pending, no retry spent, its code, a gauge; one probe resumes it', async () => {
    writeSenders(REVOKED_TOKEN);
    await waitFor('the revoked token is in use', async () => tokenInUse() === REVOKED_TOKEN);
    const [first] = await postMessages(t);

    await t.dispatch.dispatchDue();
    expect(await messageRow(t, first.id)).toMatchObject({
      status: 'pending',
      retries_count: 0,
      last_error_code: '401',
    });
    expect((await t.http.get(`/messages/${first.id}`).expect(200)).body).toMatchObject({
      status: 'pending',
      retries_count: 0,
      last_error_code: '401',
      sender: 'billing-bot',
    });
    const [state] = await t.sql('SELECT paused, last_error_code FROM sender_accounts_state WHERE name = $1', [
      'billing-bot',
    ]);
    expect(state).toEqual({ paused: true, last_error_code: '401' });
    const metrics = (await t.http.get('/metrics').expect(200)).text;
    expect(metrics).toMatch(/^dispatch_sender_account_failing\{sender="billing-bot"\} 1$/m);
    expect(
      logs.entries.some((entry) => /sender account "billing-bot" \(telegram\) paused/.test(String(entry.msg))),
    ).toBe(true);

    // While paused, a new message of the account is not sent: it waits, unclaimed, with no retry spent. (The next
    // probe is put off, so that the spec's own pace cannot make this dispatch the probe.)
    await t.sql(`UPDATE sender_accounts_state SET next_probe_at = now() + interval '1 hour'`);
    const [second] = await postMessages(t);
    await t.dispatch.dispatchDue();
    expect(telegramCalls()).toHaveLength(1);
    expect(await messageRow(t, second.id)).toMatchObject({ status: 'pending', retries_count: 0, attempts: 0 });
    expect((await messageRow(t, second.id)).next_attempt_at!.getTime()).toBeGreaterThan(Date.now());

    // Fixed in the file: at the next probe, one message goes first, alone, and its success resumes the account.
    writeSenders(GOOD_TOKEN);
    await waitFor('the fixed token is in use', async () => tokenInUse() === GOOD_TOKEN);
    // The probe and both messages due now (arranged: the spec does not wait out the hour).
    await t.sql(`UPDATE sender_accounts_state SET next_probe_at = now()`);
    await t.sql(`UPDATE messages SET next_attempt_at = now() WHERE status = 'pending'`);
    const before = telegramCalls().length;
    await t.dispatch.dispatchDue();
    expect(telegramCalls().length - before).toBe(1);
    const [resumed] = await t.sql('SELECT paused FROM sender_accounts_state WHERE name = $1', ['billing-bot']);
    expect(resumed).toEqual({ paused: false });
    expect(
      logs.entries.some((entry) => /sender account "billing-bot" \(telegram\) resumed/.test(String(entry.msg))),
    ).toBe(true);
    expect((await t.http.get('/metrics').expect(200)).text).toMatch(
      /^dispatch_sender_account_failing\{sender="billing-bot"\} 0$/m,
    );

    await waitFor('both messages are sent', async () => {
      await t.dispatch.dispatchDue();
      const rows = await Promise.all([messageRow(t, first.id), messageRow(t, second.id)]);
      return rows.every((row) => row.status === 'sent');
    });
    for (const id of [first.id, second.id]) expect((await messageRow(t, id)).retries_count).toBe(0);
  });

  it('reports a paused account in every process, from PostgreSQL: one that never sent through it too', async () => {
    // Paused by another worker: this process has claimed nothing of the account's.
    await t.sql(
      `INSERT INTO sender_accounts_state (name, paused, last_error_code, next_probe_at, updated_at)
       VALUES ('billing-bot', true, '401', now() + interval '1 hour', now())`,
    );
    expect((await t.http.get('/metrics').expect(200)).text).toMatch(
      /^dispatch_sender_account_failing\{sender="billing-bot"\} 1$/m,
    );
    // Resumed by another worker's probe.
    await t.sql(`UPDATE sender_accounts_state SET paused = false, next_probe_at = NULL`);
    expect((await t.http.get('/metrics').expect(200)).text).toMatch(
      /^dispatch_sender_account_failing\{sender="billing-bot"\} 0$/m,
    );
  });

  it('keeps a message whose account left the file waiting, visibly, until it is back', async () => {
    const [message] = await postMessages(t);
    // The account renamed: messages that recorded "billing-bot" have no account now.
    const renamed = join(dir, 'renamed.json');
    writeFileSync(
      renamed,
      JSON.stringify([
        { client: '*', provider: 'telegram', name: 'other-bot', token: GOOD_TOKEN, base_url: api.baseUrl },
      ]),
    );
    renameSync(renamed, file);
    await waitFor('billing-bot has left the file', async () => tokenInUse() === undefined);

    await t.dispatch.dispatchDue();
    expect(await messageRow(t, message.id)).toMatchObject({
      status: 'pending',
      retries_count: 0,
      last_error_code: 'sender_not_configured',
    });
    expect(telegramCalls()).toHaveLength(0);

    writeSenders(GOOD_TOKEN);
    await waitFor('billing-bot is back', async () => tokenInUse() === GOOD_TOKEN);
    await waitFor('the message is sent', async () => {
      await t.dispatch.dispatchDue();
      return (await messageRow(t, message.id)).status === 'sent';
    });
    expect(telegramCalls()).toHaveLength(1);
  });

  it('keeps the accounts it has when the file turns bad, and says so without quoting it', async () => {
    const next = join(dir, 'bad.json');
    writeFileSync(next, `[{"client":"*","provider":"telegram","name":"billing-bot","token":"${REVOKED_TOKEN}",}]`);
    renameSync(next, file);
    await logs.waitFor('the bad file is reported', (entries) =>
      entries.some((entry) => /SENDERS_FILE .* not valid JSON.*keeping the 1 sender account/.test(String(entry.msg))),
    );
    expect(tokenInUse()).toBe(GOOD_TOKEN);
  });

  it('refuses to start on a bad file, naming the entry and never the token', () => {
    const bad = join(dir, 'start.json');
    writeFileSync(
      bad,
      JSON.stringify([{ client: '*', provider: 'telegram', name: 'billing-bot', token: REVOKED_TOKEN, x: 1 }]),
    );
    let message = '';
    try {
      loadConfig({ SENDERS_FILE: bad });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/SENDERS_FILE .*entry 1 \("billing-bot"\): unknown field\(s\) "x"/);
    expect(message).not.toContain(REVOKED_TOKEN);
  });

  it('never let a token into a log line', () => {
    expect(logs.entries.length).toBeGreaterThan(0);
    const text = JSON.stringify(logs.entries);
    expect(text).not.toContain(GOOD_TOKEN);
    expect(text).not.toContain(REVOKED_TOKEN);
  });
});
