import { once } from 'node:events';
import net, { type AddressInfo } from 'node:net';
import zlib from 'node:zlib';
import { aMessageRequest, aRecipient } from './support/factories';
import { waitFor } from './support/service-process';
import type { TestApp } from './support/test-app';
import { createTestApp } from './support/test-app';

/** What came back on a socket: the parsed answer (if any), and how long until the server closed it. */
interface Exchange {
  status: number;
  headers: Record<string, string>;
  text: string;
  json: Record<string, unknown> & { errors?: Array<{ field: string; reason: string }> };
  closedAfterMs: number;
}

/** Server time bound for stalled requests in this spec; short, so that the specs are. */
const REQUEST_TIMEOUT_MS = 2_000;
/** How long a spec waits for the server to answer or close before it calls the server stuck. */
const GIVE_UP_MS = 15_000;

/**
 * The edge of the HTTP server, over real sockets: what Node's parser, fastify's router and the body
 * parsers answer before any controller runs. Every answer is the API's JSON error shape, with `code`.
 */
describe('HTTP edge', () => {
  let t: TestApp;
  let port: number;

  beforeAll(async () => {
    t = await createTestApp({ env: { HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS) } });
    await t.app.listen(0, '127.0.0.1');
    port = (t.app.getHttpServer().address() as AddressInfo).port;
  });
  afterAll(() => t.close());

  /**
   * Writes `bytes` on a fresh connection, sends nothing more, and reads until the server closes it. A
   * server that neither answers nor closes within GIVE_UP_MS fails the spec.
   */
  function exchange(bytes: Buffer | string): Promise<Exchange> {
    return new Promise((resolve, reject) => {
      const started = Date.now();
      const socket = net.connect(port, '127.0.0.1');
      const chunks: Buffer[] = [];
      const giveUp = setTimeout(() => {
        socket.destroy();
        reject(
          new Error(
            `the server neither answered nor closed within ${GIVE_UP_MS} ms; got ${JSON.stringify(Buffer.concat(chunks).toString('latin1'))}`,
          ),
        );
      }, GIVE_UP_MS);
      socket.on('data', (chunk: Buffer) => chunks.push(chunk));
      socket.on('error', () => undefined);
      socket.on('close', () => {
        clearTimeout(giveUp);
        resolve(parseAnswer(Buffer.concat(chunks).toString('utf8'), Date.now() - started));
      });
      socket.write(bytes);
    });
  }

  function parseAnswer(raw: string, closedAfterMs: number): Exchange {
    const split = raw.indexOf('\r\n\r\n');
    const [statusLine, ...headerLines] = raw.slice(0, split === -1 ? raw.length : split).split('\r\n');
    const headers = Object.fromEntries(
      headerLines.map((line) => [
        line.slice(0, line.indexOf(':')).toLowerCase(),
        line.slice(line.indexOf(':') + 1).trim(),
      ]),
    );
    const text = split === -1 ? '' : raw.slice(split + 4);
    let json: Exchange['json'] = {};
    try {
      json = JSON.parse(text);
    } catch {
      // left empty: the assertions on the shape say what was wrong
    }
    return { status: Number(/^HTTP\/1\.1 (\d{3})/.exec(statusLine)?.[1] ?? 0), headers, text, json, closedAfterMs };
  }

  /** One complete HTTP/1.1 request that asks the server to close the connection after answering. */
  function request(method: string, path: string, headers: Record<string, string> = {}, body?: Buffer | string): Buffer {
    const payload = body === undefined ? undefined : Buffer.isBuffer(body) ? body : Buffer.from(body);
    const lines = [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', 'Connection: close'];
    for (const [name, value] of Object.entries(headers)) lines.push(`${name}: ${value}`);
    if (payload) lines.push(`Content-Length: ${payload.length}`);
    return Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`, 'latin1'), payload ?? Buffer.alloc(0)]);
  }

  const postJson = (body: Buffer | string, headers: Record<string, string> = {}) =>
    exchange(request('POST', '/messages', { 'Content-Type': 'application/json', ...headers }, body));

  /** The answer has the documented error shape: JSON `{ statusCode, code, message, errors? }`, nothing else. */
  function expectApiError(answer: Exchange, statusCode: number, code: string): void {
    expect({ status: answer.status, text: answer.text }).toEqual({ status: statusCode, text: expect.any(String) });
    expect(answer.headers['content-type']).toMatch(/^application\/json/);
    expect(answer.json).toEqual({
      statusCode,
      code,
      message: expect.any(String),
      ...(answer.json.errors === undefined ? {} : { errors: expect.any(Array) }),
    });
  }

  async function storedMessages(): Promise<number> {
    const [{ n }] = await t.sql<{ n: number }>('SELECT count(*)::int AS n FROM messages');
    return n;
  }

  async function storedBodyOf(answer: Exchange): Promise<string> {
    const id = (answer.json.messages as Array<{ id: string }>)[0].id;
    const [row] = await t.sql<{ body: string }>('SELECT body FROM messages WHERE id = $1', [id]);
    return row.body;
  }

  describe('text that is not valid Unicode', () => {
    it('a lone surrogate in a JSON escape is a 400 naming the field, and nothing is stored', async () => {
      const before = await storedMessages();
      const answer = await postJson(
        `{"body":"broken \\ud83d here","recipients":[${JSON.stringify(aRecipient.telegram())}]}`,
      );
      expectApiError(answer, 400, 'VALIDATION_FAILED');
      expect(answer.json.errors).toEqual([{ field: 'body', reason: expect.stringMatching(/Unicode/) }]);
      expect(await storedMessages()).toBe(before);
    });

    it('bytes that are not UTF-8 are a 400 naming the field by its path', async () => {
      const before = await storedMessages();
      const raw = Buffer.concat([
        Buffer.from(
          `{"body":"hello","recipients":[${JSON.stringify(aRecipient.telegram())},{"provider":"viber","recipient":"vb`,
        ),
        Buffer.from([0xff, 0xc3]),
        Buffer.from('"}]}'),
      ]);
      const answer = await postJson(raw);
      expectApiError(answer, 400, 'VALIDATION_FAILED');
      expect(answer.json.errors).toEqual([
        { field: 'recipients[1].recipient', reason: expect.stringMatching(/UTF-8/) },
      ]);
      expect(await storedMessages()).toBe(before);
    });

    it('a key that is not valid Unicode is named too', async () => {
      const raw = Buffer.concat([
        Buffer.from('{"body":"hello","recipients":[],"k'),
        Buffer.from([0xed, 0xa0, 0x80]),
        Buffer.from('":1}'),
      ]);
      const answer = await postJson(raw);
      expectApiError(answer, 400, 'VALIDATION_FAILED');
      expect(answer.json.errors).toEqual([
        { field: expect.stringMatching(/^k/), reason: expect.stringMatching(/Unicode/) },
      ]);
    });

    it('valid UTF-8 outside ASCII, and escaped surrogate pairs, are stored exactly as sent', async () => {
      const text = 'Grüße, 世界 😀 \u{10FFFF}';
      const request = aMessageRequest({ body: text });
      const raw = JSON.stringify(request).replace('😀', '\\ud83d\\ude00');
      const answer = await postJson(raw);
      expect(answer.status).toBe(202);
      expect(await storedBodyOf(answer)).toBe(text);
    });

    it.each([
      ['%FF', 'a byte that starts no UTF-8 character'],
      ['%C3', 'a character cut short'],
      ['%ED%A0%80', 'a UTF-8-encoded surrogate'],
      ['%C0%AF', 'an overlong encoding'],
    ])('a query parameter percent-encoding %s (%s) is a 400 naming it', async (encoded) => {
      const answer = await exchange(request('GET', `/messages?recipient=x${encoded}`));
      expectApiError(answer, 400, 'VALIDATION_FAILED');
      expect(answer.json.errors).toEqual([{ field: 'recipient', reason: expect.stringMatching(/UTF-8/) }]);
    });

    it('a query parameter is percent-decoded as before: escapes and + match what is stored, valid UTF-8 passes', async () => {
      const recipient = `vb ${Date.now()}+/==`;
      expect(
        (await postJson(JSON.stringify(aMessageRequest({ recipients: [{ provider: 'viber', recipient }] })))).status,
      ).toBe(202);
      const query = encodeURIComponent(recipient).replace(/%20/g, '+');
      const found = await exchange(request('GET', `/messages?recipient=${query}`));
      expect(found.status).toBe(200);
      expect((found.json.items as Array<{ recipient: string }>).map((item) => item.recipient)).toEqual([recipient]);
      const utf8 = await exchange(request('GET', `/messages?recipient=${encodeURIComponent('Jürgen 😀')}`));
      expect({ status: utf8.status, items: utf8.json.items }).toEqual({ status: 200, items: [] });
    });

    it.each(['latin1', 'ISO-8859-1', 'utf-16', '"windows-1252"'])(
      'a body declared charset=%s is a 415 naming the charset',
      async (charset) => {
        const before = await storedMessages();
        const answer = await postJson(JSON.stringify(aMessageRequest()), {
          'Content-Type': `application/json; charset=${charset}`,
        });
        expectApiError(answer, 415, 'UNSUPPORTED_MEDIA_TYPE');
        expect(answer.json.message).toContain(charset.replace(/"/g, ''));
        expect(await storedMessages()).toBe(before);
      },
    );

    it.each(['utf-8', 'UTF-8', '"utf-8"'])('a body declared charset=%s is accepted', async (charset) => {
      const answer = await postJson(JSON.stringify(aMessageRequest()), {
        'Content-Type': `application/json; charset=${charset}`,
      });
      expect(answer.status).toBe(202);
    });
  });

  describe('Content-Encoding', () => {
    it.each([
      ['gzip', zlib.gzipSync],
      ['x-gzip', zlib.gzipSync],
      ['deflate', zlib.deflateSync],
      ['br', zlib.brotliCompressSync],
      ['identity', (b: Buffer) => b],
      ['GZIP', zlib.gzipSync],
    ] as const)('a %s body is decoded and stored as sent', async (coding, encode) => {
      const sent = aMessageRequest({ body: `encoded ${coding}: ${'é'.repeat(50)}` });
      const answer = await postJson(encode(Buffer.from(JSON.stringify(sent))), { 'Content-Encoding': coding });
      expect(answer.status).toBe(202);
      expect(await storedBodyOf(answer)).toBe(sent.body);
    });

    it.each(['compress', 'zstd', 'gzip, br', 'identity, snappy'])('%j is a 415 naming the coding', async (coding) => {
      const before = await storedMessages();
      const answer = await postJson(zlib.gzipSync(JSON.stringify(aMessageRequest())), { 'Content-Encoding': coding });
      expectApiError(answer, 415, 'UNSUPPORTED_CONTENT_ENCODING');
      expect(answer.json.message).toContain(coding);
      expect(await storedMessages()).toBe(before);
    });

    it.each([
      ['a plain body labelled br', 'br', Buffer.from(JSON.stringify(aMessageRequest()))],
      ['a plain body labelled gzip', 'gzip', Buffer.from(JSON.stringify(aMessageRequest()))],
      ['a gzip body cut short', 'gzip', zlib.gzipSync(JSON.stringify(aMessageRequest())).subarray(0, 30)],
    ])('%s is a 400 that says it could not be decoded, and nothing is stored', async (_, coding, body) => {
      const before = await storedMessages();
      const answer = await postJson(body, { 'Content-Encoding': coding });
      expectApiError(answer, 400, 'MALFORMED_REQUEST');
      expect(answer.json.message).toContain(coding);
      expect(await storedMessages()).toBe(before);
    });

    it('the body limit applies to the decoded bytes: a small gzip body that inflates past it is a 413', async () => {
      const inflated = Buffer.from(JSON.stringify(aMessageRequest({ body: 'x'.repeat(1_100_000) })));
      const compressed = zlib.gzipSync(inflated);
      expect(compressed.length).toBeLessThan(64 * 1024);
      const answer = await postJson(compressed, { 'Content-Encoding': 'gzip' });
      expectApiError(answer, 413, 'PAYLOAD_TOO_LARGE');
    });

    it('a zip bomb stops at the limit: 512 MiB of zeros in half a megabyte of gzip is a 413', async () => {
      // A gzip stream may hold several members one after another: 512 of 1 MiB each, without making 512 MiB here.
      const member = zlib.gzipSync(Buffer.alloc(1024 * 1024), { level: 9 });
      const bomb = Buffer.concat(Array.from({ length: 512 }, () => member));
      expect(bomb.length).toBeLessThan(1024 * 1024);
      const answer = await postJson(bomb, { 'Content-Encoding': 'gzip' });
      expectApiError(answer, 413, 'PAYLOAD_TOO_LARGE');
    }, 60_000);
  });

  describe('a client that stalls', () => {
    it(`part of a body, then nothing: 408 in our shape, and the connection cut within HTTP_REQUEST_TIMEOUT_MS`, async () => {
      const head =
        'POST /messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n';
      const answer = await exchange(`${head}{"body":"never fin`);
      expectApiError(answer, 408, 'REQUEST_TIMEOUT');
      // The server may cut a little early (it checks on an interval), never late; the upper margin is for a busy machine.
      expect(answer.closedAfterMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS * 0.8);
      expect(answer.closedAfterMs).toBeLessThan(REQUEST_TIMEOUT_MS + 5_000);
    });

    it('part of the headers, then nothing: the same', async () => {
      const answer = await exchange('GET /messages HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: ');
      expectApiError(answer, 408, 'REQUEST_TIMEOUT');
      expect(answer.closedAfterMs).toBeLessThan(REQUEST_TIMEOUT_MS + 5_000);
    });
  });

  describe('errors Node and fastify answer before any route', () => {
    it.each([
      ['a request line that is not HTTP', 'NOT HTTP AT ALL\r\n\r\n'],
      ['a header name with a space in it', 'GET /messages HTTP/1.1\r\nHost: 127.0.0.1\r\nBad Header: x\r\n\r\n'],
      [
        'both Transfer-Encoding and Content-Length',
        'POST /messages HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n',
      ],
      [
        'a chunk size that is not hex',
        'POST /messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n',
      ],
    ])('%s is a 400 MALFORMED_REQUEST', async (_, raw) => {
      expectApiError(await exchange(raw), 400, 'MALFORMED_REQUEST');
    });

    it.each([
      [
        'a header larger than the limit',
        `GET /messages HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      ],
      [
        'a URL larger than the limit',
        `GET /messages?recipient=${'a'.repeat(20_000)} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`,
      ],
    ])('%s is a 431 HEADERS_TOO_LARGE', async (_, raw) => {
      expectApiError(await exchange(raw), 431, 'HEADERS_TOO_LARGE');
    });

    it.each(['/%', '/messages/%E0%A4%A', '/messages/%zz'])(
      'a URL that does not percent-decode (%s) is a 400 MALFORMED_REQUEST',
      async (path) => {
        const answer = await exchange(request('GET', path));
        expectApiError(answer, 400, 'MALFORMED_REQUEST');
        expect(answer.headers['x-request-id']).toMatch(/\S/);
      },
    );

    it('a path parameter longer than the router takes is a 414 URI_TOO_LONG', async () => {
      expectApiError(await exchange(request('GET', `/messages/${'a'.repeat(200)}`)), 414, 'URI_TOO_LONG');
    });

    it('an HTTP/1.1 request without Host is a 400 MALFORMED_REQUEST', async () => {
      const answer = await exchange('GET /messages HTTP/1.1\r\nConnection: close\r\n\r\n');
      expectApiError(answer, 400, 'MALFORMED_REQUEST');
      expect(answer.json.message).toMatch(/Host/);
    });

    it('an Expect other than 100-continue is a 417 EXPECTATION_FAILED', async () => {
      const answer = await exchange(
        request('POST', '/messages', { 'Content-Type': 'application/json', Expect: 'teapot' }, '{}'),
      );
      expectApiError(answer, 417, 'EXPECTATION_FAILED');
    });

    it('Expect: 100-continue still works', async () => {
      const answer = await postJson(JSON.stringify(aMessageRequest()), { Expect: '100-continue' });
      expect(answer.text).toMatch(/"messages"/);
    });

    it('CONNECT, which this server does not proxy, is a 404 NOT_FOUND rather than a silent hang-up', async () => {
      expectApiError(
        await exchange('CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n'),
        404,
        'NOT_FOUND',
      );
    });

    it.each([
      ['OPTIONS', '/messages'],
      ['PROPFIND', '/messages'],
      ['OPTIONS', '*'],
    ])('%s %s (no CORS, no such route) is a 404 NOT_FOUND', async (method, path) => {
      expectApiError(await exchange(request(method, path)), 404, 'NOT_FOUND');
    });
  });

  describe('while the server closes', () => {
    it('a request that arrives then is a 503 in our shape, and the one in flight is still answered', async () => {
      const closing = await createTestApp();
      let closed: Promise<void> | undefined;
      try {
        await closing.app.listen(0, '127.0.0.1');
        const server = closing.app.getHttpServer();
        const socket = net.connect((server.address() as AddressInfo).port, '127.0.0.1');
        socket.on('error', () => undefined);
        const chunks: Buffer[] = [];
        socket.on('data', (chunk: Buffer) => chunks.push(chunk));
        const hungUp = once(socket, 'close');

        // The first request is routed, and waits for the rest of its body while the server starts closing.
        const body = JSON.stringify(aMessageRequest());
        const routed = once(server, 'request');
        socket.write(
          `POST /messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.slice(0, 5)}`,
        );
        await routed;
        closed = closing.close();
        await waitFor('the server stops listening', async () => !server.listening);
        socket.write(`${body.slice(5)}GET /messages HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
        await hungUp;

        const [first, second] = Buffer.concat(chunks)
          .toString('utf8')
          .split(/(?=HTTP\/1\.1 \d{3} )/)
          .map((raw) => parseAnswer(raw, 0));
        expect(first.status).toBe(202);
        expectApiError(second, 503, 'SERVICE_UNAVAILABLE');
      } finally {
        await (closed ?? closing.close());
      }
    });
  });
});
