import { once } from 'node:events';
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTcpServer, type AddressInfo, type Socket } from 'node:net';
import { HttpTransport, type HttpTransportOptions, type TransportResult } from './http-transport';

/** A Telegram-like token: it travels in the URL path, so every name and description must redact it. */
const TOKEN = '123456:AAE-secret_Telegram-token';
const SEND = `bot${TOKEN}/sendMessage`;
const REDACTED_SEND = 'bot[REDACTED]/sendMessage';

/** What the test server saw of one request. */
interface Seen {
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

type Route = (request: IncomingMessage, response: ServerResponse, body: string) => void;

/** The answers of the local API, by the path's last segment. */
const ROUTES: Record<string, Route> = {
  sendMessage: (request, response, body) =>
    json(response, 200, { ok: true, result: { path: request.url, body: JSON.parse(body) as unknown } }),
  redirect: (_request, response) => response.writeHead(302, { location: '/elsewhere' }).end(),
  elsewhere: (_request, response) => json(response, 200, { ok: true }),
  html: (_request, response) =>
    response.writeHead(502, { 'content-type': 'text/html' }).end('<html><body>Bad Gateway</body></html>'),
  empty: (_request, response) => response.writeHead(204).end(),
  viber: (_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(
      '{"status":0,"status_message":"ok","message_token":5741311803571721087,"chat_hostname":"SN-CHAT-05_","billing_status":1}',
    );
  },
  stall: (_request, response) => stalled.push(response),
  'reset-before-answer': (request) => request.socket.destroy(),
  'reset-mid-answer': (_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
    response.write('{"ok":true,"result":', () => response.socket?.destroy());
  },
  huge: (_request, response) => json(response, 200, { ok: true, padding: 'x'.repeat(1024 * 1024) }),
  'huge-chunked': (_request, response) => {
    response.writeHead(200, { 'content-type': 'application/json' });
    for (let i = 0; i < 100; i++) response.write(`"${'x'.repeat(1024)}",`);
    response.end();
  },
};

function json(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

let server: Server;
let origin: string;
const seen: Seen[] = [];
const stalled: ServerResponse[] = [];
let connections = 0;
const transports: HttpTransport[] = [];

beforeAll(async () => {
  server = createHttpServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      seen.push({ path: request.url ?? '', headers: request.headers, body });
      const route = ROUTES[(request.url ?? '').split('/').pop() ?? ''];
      if (route) route(request, response, body);
      else json(response, 404, { ok: false, error_code: 404, description: 'Not Found' });
    });
  });
  server.on('connection', () => connections++);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(async () => {
  for (const response of stalled.splice(0)) response.destroy();
  await Promise.all(transports.splice(0).map((transport) => transport.close()));
  seen.length = 0;
  connections = 0;
});

afterAll(async () => {
  server.closeAllConnections();
  server.close();
  await once(server, 'close');
});

/** A transport to the local server, patient by default: only the tests of timeouts shorten them. */
function transport(options: Partial<HttpTransportOptions> = {}): HttpTransport {
  const made = new HttpTransport({
    baseUrl: origin,
    secrets: [TOKEN],
    connectTimeoutMs: 10_000,
    sendTimeoutMs: 10_000,
    ...options,
  });
  transports.push(made);
  return made;
}

/** A transport whose calls' deadlines the test ends by hand (`expire` ends the latest call's). */
function byHand(options: Partial<HttpTransportOptions> = {}) {
  const deadlines: (() => void)[] = [];
  const live = transport({ ...options, deadline: (expire) => (deadlines.push(expire), () => undefined) });
  return { live, deadlines, expire: () => deadlines[deadlines.length - 1]() };
}

/** Resolves once `condition` holds, checking on every turn of the event loop. */
async function until(condition: () => boolean): Promise<void> {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
}

/** A port on 127.0.0.1 that nothing listens on (it was just closed). */
async function closedPort(): Promise<number> {
  const probe = createTcpServer().listen(0, '127.0.0.1');
  await once(probe, 'listening');
  const { port } = probe.address() as AddressInfo;
  probe.close();
  await once(probe, 'close');
  return port;
}

/** Takes connections and never says a word: a TLS handshake to it never ends. */
async function silentServer(): Promise<{ port: number; received: () => number; close: () => Promise<void> }> {
  const sockets: Socket[] = [];
  let bytes = 0;
  const silent = createTcpServer((socket) => {
    sockets.push(socket);
    socket.on('data', (chunk: Buffer) => (bytes += chunk.length));
  }).listen(0, '127.0.0.1');
  await once(silent, 'listening');
  return {
    port: (silent.address() as AddressInfo).port,
    received: () => bytes,
    close: async () => {
      for (const socket of sockets) socket.destroy();
      silent.close();
      await once(silent, 'close');
    },
  };
}

const expectNoToken = (result: TransportResult) => {
  const text = JSON.stringify(result);
  expect(text).not.toContain(TOKEN);
  expect(text).not.toContain(encodeURIComponent(TOKEN));
};

describe('HttpTransport', () => {
  describe('an answer', () => {
    it('POSTs the body as JSON, with the Idempotency-Key and the account headers, and reads the JSON answer', async () => {
      const live = transport({ headers: { authorization: 'Bearer wa-token' } });
      const result = await live.post(SEND, { chat_id: 42, text: 'héllo 😀' }, 'message-id-1');

      expect(result).toStrictEqual({
        kind: 'answered',
        httpStatus: 200,
        body: { ok: true, result: { path: `/${SEND}`, body: { chat_id: 42, text: 'héllo 😀' } } },
      });
      expect(seen).toHaveLength(1);
      expect(seen[0].headers).toMatchObject({
        'content-type': 'application/json',
        accept: 'application/json',
        'idempotency-key': 'message-id-1',
        authorization: 'Bearer wa-token',
      });
    });

    it("joins the call's path to the base URL's own path (WhatsApp's version)", async () => {
      await transport({ baseUrl: `${origin}/v26.0/` }).post('106540352242922/messages', {}, 'k');
      expect(seen.map((request) => request.path)).toStrictEqual(['/v26.0/106540352242922/messages']);
    });

    it("keeps every digit of Viber's 64-bit message_token", async () => {
      await expect(transport().post('pa/viber', {}, 'k')).resolves.toStrictEqual({
        kind: 'answered',
        httpStatus: 200,
        body: {
          status: 0,
          status_message: 'ok',
          message_token: '5741311803571721087',
          chat_hostname: 'SN-CHAT-05_',
          billing_status: 1,
        },
      });
    });

    it('gives an answer that is not JSON as its text, and an empty one as ""', async () => {
      const live = transport();
      await expect(live.post('html', {}, 'k')).resolves.toStrictEqual({
        kind: 'answered',
        httpStatus: 502,
        body: '<html><body>Bad Gateway</body></html>',
      });
      await expect(live.post('empty', {}, 'k')).resolves.toStrictEqual({ kind: 'answered', httpStatus: 204, body: '' });
    });

    it('gives an error status as an answer: what it means is the messenger’s to say', async () => {
      await expect(transport().post('nothing-here', {}, 'k')).resolves.toStrictEqual({
        kind: 'answered',
        httpStatus: 404,
        body: { ok: false, error_code: 404, description: 'Not Found' },
      });
    });

    it('never follows a redirect: a 3xx is the answer', async () => {
      await expect(transport().post('redirect', {}, 'k')).resolves.toStrictEqual({
        kind: 'answered',
        httpStatus: 302,
        body: '',
      });
      expect(seen.map((request) => request.path)).toStrictEqual(['/redirect']);
    });

    it('keeps connections alive between calls', async () => {
      const live = transport();
      for (let n = 0; n < 10; n++) expect((await live.post(SEND, { n }, `k${n}`)).kind).toBe('answered');
      expect(seen).toHaveLength(10);
      // undici checks an idle connection for a close from the server before reusing it (one turn of the event
      // loop), so a call right after an answer opens a second one; from then on the two take turns.
      expect(connections).toBeLessThanOrEqual(2);
    });
  });

  describe('an answer too large', () => {
    it.each([
      ['announced by its Content-Length', 'huge'],
      ['sent in chunks without one', 'huge-chunked'],
    ])('is a malformed answer, read no further: %s', async (_how, path) => {
      const result = await transport({ maxAnswerBytes: 16 * 1024 }).post(`bot${TOKEN}/${path}`, {}, 'k');
      expect(result).toStrictEqual({
        kind: 'no_answer',
        code: 'malformed_response',
        description: `POST ${origin}/bot[REDACTED]/${path}: the answer (HTTP 200) is over 16384 bytes`,
      });
    });
  });

  describe('a request never written', () => {
    it('is not_sent when the connection is refused: nothing was delivered', async () => {
      const port = await closedPort();
      const result = await transport({ baseUrl: `http://127.0.0.1:${port}` }).post(SEND, {}, 'k');
      expect(result).toStrictEqual({
        kind: 'not_sent',
        code: 'connect_failed',
        description: `POST http://127.0.0.1:${port}/${REDACTED_SEND}: not sent: connect ECONNREFUSED 127.0.0.1:${port}`,
      });
    });

    it('is not_sent when the connection is not made within the connect timeout (a TLS handshake never answered)', async () => {
      const silent = await silentServer();
      try {
        const result = await transport({ baseUrl: `https://127.0.0.1:${silent.port}`, connectTimeoutMs: 200 }).post(
          SEND,
          {},
          'k',
        );
        expect(result).toMatchObject({ kind: 'not_sent', code: 'connect_timeout' });
        expect((result as { description: string }).description).toMatch(
          new RegExp(
            `^POST https://127\\.0\\.0\\.1:${silent.port}/bot\\[REDACTED\\]/sendMessage: not sent: .*UND_ERR_CONNECT_TIMEOUT`,
          ),
        );
        expectNoToken(result);
      } finally {
        await silent.close();
      }
    });

    it('is not_sent when the send timeout ends the wait for a connection', async () => {
      const silent = await silentServer();
      try {
        const result = await transport({ baseUrl: `https://127.0.0.1:${silent.port}`, sendTimeoutMs: 200 }).post(
          SEND,
          {},
          'k',
        );
        expect(result).toStrictEqual({
          kind: 'not_sent',
          code: 'connect_timeout',
          description: `POST https://127.0.0.1:${silent.port}/${REDACTED_SEND}: not sent: no connection within 200 ms`,
        });
      } finally {
        await silent.close();
      }
    });

    it('is not_sent when the send timeout ends its wait for a free connection, and is then never written', async () => {
      const { live, deadlines } = byHand({ connections: 1 });
      const first = live.post('stall', {}, 'first');
      const second = live.post('queued', {}, 'second');
      await until(() => stalled.length === 1);

      deadlines[1](); // the second call's time is up while the first holds the one connection
      await expect(second).resolves.toStrictEqual({
        kind: 'not_sent',
        code: 'connect_timeout',
        description: `POST ${origin}/queued: not sent: no connection within 10000 ms`,
      });
      deadlines[0](); // the first call's time is up: its connection is dropped, and the queue moves on
      await expect(first).resolves.toMatchObject({ kind: 'no_answer', code: 'timeout' });
      // A call queued after the dropped one reaches the server once the dropped one's turn has passed.
      await expect(live.post(SEND, {}, 'third')).resolves.toMatchObject({ kind: 'answered', httpStatus: 200 });
      expect(seen.map((request) => request.headers['idempotency-key'])).toStrictEqual(['first', 'third']);
    });
  });

  describe('a request written and not answered: the lost-answer case', () => {
    it('is no_answer (timeout) when no answer comes within the send timeout, and the connection is dropped', async () => {
      const { live, expire } = byHand();
      const call = live.post(`bot${TOKEN}/stall`, {}, 'k');
      await until(() => stalled.length === 1);
      expire();
      await expect(call).resolves.toStrictEqual({
        kind: 'no_answer',
        code: 'timeout',
        description: `POST ${origin}/bot[REDACTED]/stall: sent, then no answer within 10000 ms`,
      });
      await until(() => stalled[0].socket === null || stalled[0].socket.destroyed);
    });

    it('is no_answer (connection_lost) when the connection drops before the answer', async () => {
      const result = await transport().post(`bot${TOKEN}/reset-before-answer`, {}, 'k');
      expect(result).toMatchObject({ kind: 'no_answer', code: 'connection_lost' });
      expect((result as { description: string }).description).toMatch(
        new RegExp(`^POST ${origin}/bot\\[REDACTED\\]/reset-before-answer: sent, then no answer: .+$`),
      );
      expect(seen).toHaveLength(1);
    });

    it('is no_answer (connection_lost) when the connection drops in the middle of the answer', async () => {
      const result = await transport().post(`bot${TOKEN}/reset-mid-answer`, {}, 'k');
      expect(result).toMatchObject({ kind: 'no_answer', code: 'connection_lost' });
      expect((result as { description: string }).description).toMatch(
        /^POST .*\/bot\[REDACTED\]\/reset-mid-answer: sent, then no answer: /,
      );
    });
  });

  describe('the token in the URL path', () => {
    it('is redacted in the name logs give a request, percent-encoded or not', () => {
      const live = transport({ baseUrl: 'https://api.telegram.org' });
      expect(live.nameOf(SEND)).toBe('POST https://api.telegram.org/bot[REDACTED]/sendMessage');
      expect(live.nameOf(`bot${encodeURIComponent(TOKEN)}/sendMessage`)).toBe(
        'POST https://api.telegram.org/bot[REDACTED]/sendMessage',
      );
    });

    it('is in no result, whatever went wrong', async () => {
      const port = await closedPort();
      const silent = await silentServer();
      try {
        const stalling = byHand();
        const calls = [
          transport({ baseUrl: `http://127.0.0.1:${port}` }).post(SEND, {}, 'k'),
          transport({ baseUrl: `https://127.0.0.1:${silent.port}`, connectTimeoutMs: 200 }).post(SEND, {}, 'k'),
          stalling.live.post(`bot${TOKEN}/stall`, {}, 'k'),
          transport().post(`bot${TOKEN}/reset-before-answer`, {}, 'k'),
          transport().post(`bot${TOKEN}/reset-mid-answer`, {}, 'k'),
          transport({ maxAnswerBytes: 1024 }).post(`bot${TOKEN}/huge`, {}, 'k'),
        ];
        await until(() => stalled.length === 1);
        stalling.expire();
        const results = await Promise.all(calls);
        expect(results.map((result) => result.kind)).toStrictEqual([
          'not_sent',
          'not_sent',
          'no_answer',
          'no_answer',
          'no_answer',
          'no_answer',
        ]);
        for (const result of results) expectNoToken(result);
      } finally {
        await silent.close();
      }
    });
  });

  describe('close', () => {
    it('ends the pool, once however often called: a call after it is not sent', async () => {
      const live = transport();
      await live.post(SEND, {}, 'k');
      await live.close();
      await live.close();
      await expect(live.post(SEND, {}, 'k2')).resolves.toMatchObject({ kind: 'not_sent', code: 'connect_failed' });
      expect(seen).toHaveLength(1);
    });
  });
});
