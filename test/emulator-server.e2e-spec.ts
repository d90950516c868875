import { parseJsonExact } from '../src/providers/live/exact-json';
import { TELEGRAM_ERRORS } from '../src/providers/telegram/telegram-bot-api';
import { VIBER_STATUSES } from '../src/providers/viber/viber-rest-api';
import { WHATSAPP_ERRORS } from '../src/providers/whatsapp/whatsapp-cloud-api';
import { TELEGRAM_NOT_FOUND } from '../src/providers/telegram/telegram-bot-api.server';
import { type EmulatorServer, startEmulatorServer } from './support/emulator-server';

/** One HTTP exchange with the server over a real socket: the status, the JSON (read as a live client reads it), the text. */
interface Exchange {
  readonly status: number;
  readonly body: unknown;
  readonly text: string;
}

interface Call {
  readonly method?: string;
  readonly headers?: Record<string, string>;
  /** Sent as JSON unless it is a string already. */
  readonly body?: unknown;
  readonly timeoutMs?: number;
}

async function call(
  server: EmulatorServer,
  path: string,
  { method = 'POST', headers = {}, body, timeoutMs }: Call = {},
) {
  const response = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      ...(body === undefined || typeof body === 'string' ? {} : { 'content-type': 'application/json' }),
      ...headers,
    },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    signal: timeoutMs === undefined ? undefined : AbortSignal.timeout(timeoutMs),
  });
  const text = await response.text();
  return { status: response.status, body: text === '' ? undefined : parseJsonExact(text), text } satisfies Exchange;
}

const TELEGRAM_TOKEN = '123456:AAE-emulated-bot-token';
const WHATSAPP_PATH = '/v21.0/106540352242922/messages';
const WHATSAPP_AUTH = { authorization: 'Bearer EAAG-emulated-access-token' };
const VIBER_AUTH = { 'x-viber-auth-token': '4453b6ac-emulated-viber-token' };

const telegram = (
  server: EmulatorServer,
  body: unknown,
  { token = TELEGRAM_TOKEN, ...rest }: Call & { token?: string } = {},
) => call(server, `/bot${token}/sendMessage`, { body, ...rest });
const whatsapp = (
  server: EmulatorServer,
  body: unknown,
  { path = WHATSAPP_PATH, ...rest }: Call & { path?: string } = {},
) => call(server, path, { body, headers: WHATSAPP_AUTH, ...rest });
const viber = (server: EmulatorServer, body: unknown, rest: Call = {}) =>
  call(server, '/pa/send_message', { body, headers: VIBER_AUTH, ...rest });

const whatsAppText = (to: string, text = 'hello') => ({
  messaging_product: 'whatsapp',
  recipient_type: 'individual',
  to,
  type: 'text',
  text: { preview_url: false, body: text },
});
const viberText = (receiver: string, text = 'hello') => ({
  receiver,
  min_api_version: 1,
  sender: { name: 'Shop' },
  tracking_data: 'order-1042',
  type: 'text',
  text,
});

/** A Graph error, whatever its trace id. */
const graphError = (entry: { error: object }) => ({ error: { ...entry.error, fbtrace_id: expect.any(String) } });

describe('the emulator server (APP_ROLE=emulators) over real sockets', () => {
  describe('with the documented limits', () => {
    let server: EmulatorServer;
    beforeAll(async () => {
      server = await startEmulatorServer();
    });
    afterAll(() => server.close());

    describe('answers each path with its real success shape', () => {
      it('Telegram: POST /bot<token>/sendMessage with JSON', async () => {
        const answer = await telegram(server, { chat_id: 200_001, text: 'hello' });
        expect(answer).toMatchObject({ status: 200 });
        expect(answer.body).toStrictEqual({
          ok: true,
          result: {
            message_id: expect.any(Number),
            date: expect.any(Number),
            chat: { id: 200_001, type: 'private' },
            text: 'hello',
          },
        });
      });

      it('Telegram: the parameters as a form, or in the query string of a GET, and the method name in any case', async () => {
        const form = await call(server, `/bot${TELEGRAM_TOKEN}/sendMessage`, {
          headers: { 'content-type': 'application/x-www-form-urlencoded' },
          body: 'chat_id=200002&text=hello+form',
        });
        expect(form.body).toMatchObject({ ok: true, result: { chat: { id: 200_002 }, text: 'hello form' } });
        const get = await call(server, `/bot${TELEGRAM_TOKEN}/sendmessage?chat_id=@Some_User&text=hi`, {
          method: 'GET',
        });
        expect(get.body).toMatchObject({ ok: true, result: { chat: { id: '@some_user' }, text: 'hi' } });
      });

      it('WhatsApp: POST /v<NN.N>/<phone-number-id>/messages, any version', async () => {
        for (const [version, to] of [
          ['v21.0', '15550000321'],
          ['v17.0', '15550000322'],
          ['v99.9', '15550000323'],
        ]) {
          const answer = await whatsapp(server, whatsAppText(`+${to}`), {
            path: `/${version}/106540352242922/messages`,
          });
          expect(answer.status).toBe(200);
          expect(answer.body).toStrictEqual({
            messaging_product: 'whatsapp',
            contacts: [{ input: to, wa_id: to }],
            messages: [{ id: expect.stringMatching(/^wamid\.[\w-]{36}$/) }],
          });
        }
      });

      it('Viber: POST /pa/send_message, message_token a bare 64-bit number as Viber writes it', async () => {
        const answer = await viber(server, viberText('viber-user-1'));
        expect(answer.status).toBe(200);
        expect(answer.text).toMatch(/"message_token":\d{19}[,}]/);
        expect(answer.body).toStrictEqual({
          status: 0,
          status_message: 'ok',
          message_token: expect.stringMatching(/^\d{19}$/),
          chat_hostname: 'SN-CHAT-05_',
          billing_status: 1,
        });
      });
    });

    describe('authentication, as each API answers it', () => {
      it('a token starting with "revoked": Telegram 401 Unauthorized', async () => {
        const answer = await telegram(server, { chat_id: 200_003, text: 'hello' }, { token: 'revoked-123:AAE' });
        expect(answer).toMatchObject({
          status: 401,
          body: { ok: false, error_code: 401, description: 'Unauthorized' },
        });
        expect(answer.body).toStrictEqual(TELEGRAM_ERRORS.unauthorized.response);
      });

      it('a token starting with "revoked": WhatsApp 401, OAuthException 190', async () => {
        const answer = await whatsapp(server, whatsAppText('+15550000301'), {
          headers: { authorization: 'Bearer revoked-EAAG' },
        });
        expect(answer.status).toBe(401);
        expect(answer.body).toStrictEqual({
          error: {
            message: expect.stringMatching(/^Error validating access token/),
            type: 'OAuthException',
            code: 190,
            error_subcode: 460,
            fbtrace_id: expect.stringMatching(/^[\w-]{27}$/),
          },
        });
      });

      it('a token starting with "revoked": Viber HTTP 200, status 2 invalidAuthToken', async () => {
        const answer = await viber(server, viberText('viber-user-2'), {
          headers: { 'x-viber-auth-token': 'revoked-4453' },
        });
        expect(answer).toMatchObject({ status: 200, body: { status: 2, status_message: 'invalidAuthToken' } });
      });

      it('no token: Telegram 404 Not Found, WhatsApp 400 OAuthException 104, Viber status 2', async () => {
        await expect(call(server, '/bot/sendMessage', { body: { chat_id: 1, text: 'x' } })).resolves.toMatchObject({
          status: 404,
          body: { ok: false, error_code: 404, description: 'Not Found' },
        });
        const graph = await call(server, WHATSAPP_PATH, { body: whatsAppText('+15550000302') });
        expect(graph).toMatchObject({ status: 400, body: { error: { type: 'OAuthException', code: 104 } } });
        await expect(call(server, '/pa/send_message', { body: viberText('viber-user-3') })).resolves.toMatchObject({
          status: 200,
          body: { status: 2, status_message: 'invalidAuthToken' },
        });
      });

      it('any other token is an account of its own, answered', async () => {
        await expect(telegram(server, { chat_id: 200_004, text: 'x' }, { token: 'anything' })).resolves.toMatchObject({
          status: 200,
        });
        await expect(
          whatsapp(server, whatsAppText('+15550000303'), { headers: { authorization: 'Bearer x' } }),
        ).resolves.toMatchObject({ status: 200 });
        await expect(
          viber(server, viberText('viber-user-4'), { headers: { 'x-viber-auth-token': 'x' } }),
        ).resolves.toMatchObject({
          body: { status: 0 },
        });
      });
    });

    describe('requests the real APIs refuse', () => {
      it.each([
        ['no chat_id', { text: 'hello' }, 'Bad Request: chat_id is empty'],
        ['no text', { chat_id: 200_005 }, 'Bad Request: message text is empty'],
        ['a blank text', { chat_id: 200_005, text: '  ' }, 'Bad Request: message text is empty'],
        ['a chat_id no chat has', { chat_id: 'not a chat', text: 'x' }, 'Bad Request: chat not found'],
        [
          'a text over 4096 characters',
          { chat_id: 200_005, text: 'x'.repeat(4097) },
          'Bad Request: message is too long',
        ],
      ])('Telegram, %s: 400 in its words', async (_what, body, description) => {
        await expect(telegram(server, body)).resolves.toMatchObject({
          status: 400,
          body: { ok: false, error_code: 400, description },
        });
      });

      it('Telegram, a method it does not know: 404 Not Found', async () => {
        await expect(call(server, `/bot${TELEGRAM_TOKEN}/sendTelegram`, { body: {} })).resolves.toMatchObject({
          status: 404,
          body: TELEGRAM_NOT_FOUND,
        });
      });

      it.each([
        ['no messaging_product', 100, { ...whatsAppText('+15550000304'), messaging_product: undefined }],
        ['no to', 100, { ...whatsAppText('+15550000304'), to: undefined }],
        ['no text.body', 131008, { ...whatsAppText('+15550000304'), text: {} }],
        ['a type other than text', 131009, { ...whatsAppText('+15550000304'), type: 'template' }],
        ['a body over 4096 characters', 131009, whatsAppText('+15550000304', 'x'.repeat(4097))],
        ['a body that is not JSON', 131009, '{"messaging_product":'],
      ])('WhatsApp, %s: 400 with Graph error code %p', async (_what, code, body) => {
        const answer = await whatsapp(
          server,
          body,
          typeof body === 'string' ? { headers: { ...WHATSAPP_AUTH, 'content-type': 'application/json' } } : {},
        );
        expect(answer).toMatchObject({ status: 400, body: { error: { code, type: 'OAuthException' } } });
      });

      it('WhatsApp, a phone number id that is not one: GraphMethodException 100/33', async () => {
        const answer = await whatsapp(server, whatsAppText('+15550000305'), { path: '/v21.0/me/messages' });
        expect(answer).toMatchObject({ status: 400, body: { error: { code: 100, error_subcode: 33 } } });
      });

      it.each([
        ['no receiver', { ...viberText('x'), receiver: undefined }, VIBER_STATUSES.missingData.response],
        ['no sender', { ...viberText('x'), sender: undefined }, VIBER_STATUSES.missingData.response],
        ['a body that is not JSON', '{"receiver":', VIBER_STATUSES.badData.response],
        ['a text over 7000 characters', viberText('viber-user-5', 'x'.repeat(7001)), VIBER_STATUSES.badData.response],
      ])('Viber, %s: HTTP 200 with its status', async (_what, body, expected) => {
        const answer = await viber(
          server,
          body,
          typeof body === 'string' ? { headers: { ...VIBER_AUTH, 'content-type': 'application/json' } } : {},
        );
        expect(answer).toMatchObject({ status: 200, body: expected });
      });
    });

    describe('test recipients, as documented', () => {
      it('Telegram: 1000000403 is blocked, 1000000502 fails twice then goes, 1000000504 never answers', async () => {
        await expect(telegram(server, { chat_id: 1000000403, text: 'x' })).resolves.toMatchObject({
          status: 403,
          body: TELEGRAM_ERRORS.blockedByUser.response,
        });
        const headers = { 'idempotency-key': 'tg-502-message' };
        const statuses = [];
        for (let n = 0; n < 3; n++)
          statuses.push((await telegram(server, { chat_id: 1000000502, text: 'x' }, { headers })).status);
        expect(statuses).toStrictEqual([502, 502, 200]);
        await expect(telegram(server, { chat_id: 1000000504, text: 'x' }, { timeoutMs: 500 })).rejects.toMatchObject({
          name: 'TimeoutError',
        });
      });

      it('WhatsApp: +15550131047 is outside the 24-hour window, +15550131026 undeliverable', async () => {
        const closed = await whatsapp(server, whatsAppText('+15550131047'));
        expect(closed).toMatchObject({ status: 400, body: graphError(WHATSAPP_ERRORS.reEngagement) });
        const undeliverable = await whatsapp(server, whatsAppText('15550131026'));
        expect(undeliverable).toMatchObject({ status: 400, body: graphError(WHATSAPP_ERRORS.undeliverable) });
      });

      it('Viber: test-not-subscribed answers status 6, test-rate-limited status 12 twice then ok', async () => {
        await expect(viber(server, viberText('test-not-subscribed'))).resolves.toMatchObject({
          body: VIBER_STATUSES.receiverNotSubscribed.response,
        });
        const headers = { ...VIBER_AUTH, 'idempotency-key': 'viber-12-message' };
        const statuses = [];
        for (let n = 0; n < 3; n++)
          statuses.push(
            ((await viber(server, viberText('test-rate-limited'), { headers })).body as { status: number }).status,
          );
        expect(statuses).toStrictEqual([12, 12, 0]);
      });
    });

    describe('Idempotency-Key, honoured as the in-process emulators honour it', () => {
      const inboxRows = (key: string) =>
        server.sql<{ count: string }>('SELECT count(*) FROM emulator_inbox WHERE idempotency_key = $1', [key]);

      it('the same key gets the earlier answer and delivers nothing new, on each path', async () => {
        const tg = { headers: { 'idempotency-key': 'dedup-telegram' } };
        const first = await telegram(server, { chat_id: 200_010, text: 'once' }, tg);
        // Within the chat's 1-second interval: a new message would be answered 429, a repeat is answered as before.
        const again = await telegram(server, { chat_id: 200_010, text: 'once' }, tg);
        expect(again.body).toMatchObject({
          ok: true,
          result: { message_id: (first.body as { result: { message_id: number } }).result.message_id },
        });

        const wa = { headers: { ...WHATSAPP_AUTH, 'idempotency-key': 'dedup-whatsapp' } };
        const waFirst = await whatsapp(server, whatsAppText('+15550000310'), wa);
        await expect(whatsapp(server, whatsAppText('+15550000310'), wa)).resolves.toStrictEqual(waFirst);

        const vb = { headers: { ...VIBER_AUTH, 'idempotency-key': 'dedup-viber' } };
        const vbFirst = await viber(server, viberText('viber-user-10'), vb);
        await expect(viber(server, viberText('viber-user-10'), vb)).resolves.toStrictEqual(vbFirst);

        for (const key of ['dedup-telegram', 'dedup-whatsapp', 'dedup-viber']) {
          await expect(inboxRows(key)).resolves.toStrictEqual([{ count: '1' }]);
        }
      });

      it("refuses a key the inbox cannot keep, in the API's words", async () => {
        const headers = { 'idempotency-key': 'k'.repeat(65) };
        await expect(telegram(server, { chat_id: 200_011, text: 'x' }, { headers })).resolves.toMatchObject({
          status: 400,
        });
      });
    });

    describe('its inbox', () => {
      it('shows every delivery, those without an Idempotency-Key too, with no API key', async () => {
        await telegram(server, { chat_id: 200_020, text: 'no key here' });
        const answer = await call(server, '/emulators/telegram/inbox?recipient=200020', { method: 'GET' });
        expect(answer.status).toBe(200);
        expect(answer.body).toStrictEqual({
          items: [
            {
              idempotency_key: null,
              recipient: '200020',
              body: 'no key here',
              provider_message_id: expect.stringMatching(/^\d+$/),
              accepted_at: expect.any(String),
            },
          ],
        });
      });

      it('shows each messenger its own deliveries, newest first, and refuses an unknown messenger', async () => {
        await viber(server, viberText('viber-user-20', 'first'));
        await viber(server, viberText('viber-user-20', 'second'));
        const answer = await call(server, '/emulators/viber/inbox?recipient=viber-user-20&limit=5', { method: 'GET' });
        expect((answer.body as { items: { body: string }[] }).items.map((i) => i.body)).toStrictEqual([
          'second',
          'first',
        ]);
        await expect(call(server, '/emulators/sms/inbox', { method: 'GET' })).resolves.toMatchObject({ status: 400 });
      });
    });

    it('serves /health/live and /health/ready, and no /messages (no dispatch service in this role)', async () => {
      await expect(call(server, '/health/live', { method: 'GET' })).resolves.toMatchObject({ status: 200 });
      await expect(call(server, '/health/ready', { method: 'GET' })).resolves.toMatchObject({
        status: 200,
        body: { status: 'ok', info: { database: { status: 'up' }, migrations: { status: 'up' } } },
      });
      await expect(call(server, '/messages', { method: 'GET' })).resolves.toMatchObject({ status: 404 });
    });
  });

  describe('limits per account', () => {
    let server: EmulatorServer;
    beforeAll(async () => {
      server = await startEmulatorServer({
        EMULATOR_TELEGRAM: 'limit=3/60000,recipient_interval_ms=0',
        EMULATOR_WHATSAPP: 'limit=3/60000,recipient_interval_ms=0',
        EMULATOR_VIBER: 'limit=3/60000',
      });
    });
    afterAll(() => server.close());

    it("Telegram: one bot's burst gets 429 with retry_after; another bot's budget is untouched", async () => {
      const statuses = [];
      for (let n = 0; n < 4; n++)
        statuses.push((await telegram(server, { chat_id: 300_000 + n, text: 'x' }, { token: '1:bot-a' })).status);
      expect(statuses).toStrictEqual([200, 200, 200, 429]);
      const limited = await telegram(server, { chat_id: 300_010, text: 'x' }, { token: '1:bot-a' });
      expect(limited.body).toStrictEqual({
        ok: false,
        error_code: 429,
        description: expect.stringMatching(/^Too Many Requests: retry after \d+$/),
        parameters: { retry_after: expect.any(Number) },
      });
      await expect(telegram(server, { chat_id: 300_011, text: 'x' }, { token: '2:bot-b' })).resolves.toMatchObject({
        status: 200,
      });
    });

    it("WhatsApp: one phone number's burst gets 130429; another number (same token) is untouched", async () => {
      const paths = ['/v21.0/1001/messages', '/v21.0/1002/messages'];
      const codes = [];
      for (let n = 0; n < 4; n++) {
        const answer = await whatsapp(server, whatsAppText(`+1555100000${n}`), { path: paths[0] });
        codes.push(answer.status === 200 ? 'ok' : (answer.body as { error: { code: number } }).error.code);
      }
      expect(codes).toStrictEqual(['ok', 'ok', 'ok', 130429]);
      await expect(whatsapp(server, whatsAppText('+15551000009'), { path: paths[1] })).resolves.toMatchObject({
        status: 200,
      });
    });

    it("Viber: one bot's burst gets status 12; another bot's budget is untouched", async () => {
      const statuses = [];
      for (let n = 0; n < 4; n++) {
        const answer = await viber(server, viberText(`viber-burst-${n}`), {
          headers: { 'x-viber-auth-token': 'bot-a' },
        });
        statuses.push((answer.body as { status: number }).status);
      }
      expect(statuses).toStrictEqual([0, 0, 0, 12]);
      await expect(
        viber(server, viberText('viber-burst-9'), { headers: { 'x-viber-auth-token': 'bot-b' } }),
      ).resolves.toMatchObject({
        body: { status: 0 },
      });
    });
  });

  describe('lost answers (EMULATOR_LOST_ANSWER_RATE=1)', () => {
    let server: EmulatorServer;
    beforeAll(async () => {
      server = await startEmulatorServer({ EMULATOR_LOST_ANSWER_RATE: '1' });
    });
    afterAll(() => server.close());

    it('records the delivery, then drops the connection; the same key then gets the original id, and no second delivery', async () => {
      const headers = { 'idempotency-key': 'lost-telegram' };
      await expect(telegram(server, { chat_id: 400_001, text: 'x' }, { headers })).rejects.toThrow('fetch failed');
      const [row] = await server.sql<{ provider_message_id: string }>(
        'SELECT provider_message_id FROM emulator_inbox WHERE idempotency_key = $1',
        ['lost-telegram'],
      );
      const retry = await telegram(server, { chat_id: 400_001, text: 'x' }, { headers });
      expect(retry.body).toMatchObject({ ok: true, result: { message_id: Number(row.provider_message_id) } });
      await expect(
        server.sql('SELECT count(*) FROM emulator_inbox WHERE idempotency_key = $1', ['lost-telegram']),
      ).resolves.toStrictEqual([{ count: '1' }]);
    });
  });
});
