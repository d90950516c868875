import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import type { Options } from 'pino-http';
import { pinoHttp } from 'pino-http';
import { loadConfig } from '../config/app-config';
import {
  createRootLogger,
  endLogs,
  isCredentialName,
  loggingParams,
  prettyLine,
  redactUrl,
  requestIdFrom,
} from './logging';
import { REDACTED, SecretScrubber } from './secret-scrubber';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('requestIdFrom', () => {
  it.each(['abc-123', 'f47ac10b-58cc-4372-a567-0e02b2c3d479', 'x'.repeat(128), 'trace:1/2;span=3'])(
    'keeps %p',
    (id) => {
      expect(requestIdFrom(id)).toBe(id);
    },
  );

  it.each([
    ['absent', undefined],
    ['empty', ''],
    ['with a space', 'a b'],
    ['with a newline', 'a\nb'],
    ['non-ASCII', 'ид'],
    ['longer than 128 characters', 'x'.repeat(129)],
    ['sent twice (an array)', ['a', 'b']],
  ])('generates a UUID when the header is %s', (_case, header) => {
    expect(requestIdFrom(header)).toMatch(UUID);
  });
});

describe('prettyLine', () => {
  it('lays a delivery attempt out on one line: time, level, context, event, then the fields', () => {
    const line = prettyLine({
      level: 40,
      time: '2026-11-28T09:41:07.123Z',
      pid: 7,
      hostname: 'h',
      role: 'worker',
      context: 'DispatchService',
      event: 'delivery_attempt',
      messageId: 'm-1',
      outcome: 'retry',
      latencyMs: 52,
      error: 'Bad Gateway',
      detail: { a: 1 },
    });
    expect(line).toBe(
      '09:41:07.123 WARN  [DispatchService] delivery_attempt messageId=m-1 outcome=retry latencyMs=52 error=Bad Gateway detail={"a":1}\n',
    );
  });

  it('reads a request line as method, url, status and time', () => {
    const line = prettyLine({
      level: 30,
      time: '2026-11-28T09:41:07.123Z',
      reqId: 'r-1',
      req: { id: 'r-1', method: 'GET', url: '/messages/x', headers: { authorization: '[REDACTED]' } },
      res: { statusCode: 404 },
      responseTime: 3,
      msg: 'request completed',
    });
    expect(line).toBe('09:41:07.123 INFO  request completed GET /messages/x 404 3ms reqId=r-1\n');
  });

  it("puts an error's stack on the lines after it", () => {
    const line = prettyLine({
      level: 50,
      time: '2026-11-28T09:41:07.123Z',
      msg: 'boom',
      err: { message: 'x', stack: 'Error: x\n    at f' },
    });
    expect(line).toBe('09:41:07.123 ERROR boom\nError: x\n    at f\n');
  });
});

describe('credential names', () => {
  it.each([
    'authorization',
    'Proxy-Authorization',
    'cookie',
    'x-api-key',
    'apikey',
    'api_key',
    'key',
    'x-goog-api-key',
    'subscription-key',
    'access_token',
    'token',
    'x-auth-token',
    'secret',
    'client_secret',
    'password',
    'x-hub-signature',
    'sig',
    'session',
  ])('%p is one', (name) => expect(isCredentialName(name)).toBe(true));

  it.each([
    'recipient',
    'limit',
    'cursor',
    'provider',
    'status',
    'idempotency-key',
    'Idempotency-Key',
    'x-request-id',
    'content-type',
    'user-agent',
    'host',
    'keyboard',
    'monkey',
  ])('%p is not', (name) => expect(isCredentialName(name)).toBe(false));
});

describe('redactUrl', () => {
  it.each([
    ['/messages', '/messages'],
    ['/messages?recipient=123&limit=5', '/messages?recipient=123&limit=5'],
    ['/messages?api_key=k1&limit=5&access_token=k2', `/messages?api_key=${REDACTED}&limit=5&access_token=${REDACTED}`],
    ['/x?token=a&token=b', `/x?token=${REDACTED}&token=${REDACTED}`],
    ['/x?%61pi_key=k1&api%5Fkey=k2&Api-Key=k3', `/x?%61pi_key=${REDACTED}&api%5Fkey=${REDACTED}&Api-Key=${REDACTED}`],
    ['/x?key=&secret', `/x?key=${REDACTED}&secret`],
    ['/x?%E0%A4%A=1&password=p', `/x?%E0%A4%A=1&password=${REDACTED}`],
  ])('%s is logged as %s', (url, logged) => {
    expect(redactUrl(url)).toBe(logged);
  });
});

describe('the root logger', () => {
  const SECRET = 'alpha-secret-0123456789abcdef';

  it('writes no configured secret, whatever field carries it, nor does the pretty line made from it', () => {
    const scrubber = new SecretScrubber();
    scrubber.add(SECRET);
    const lines: string[] = [];
    const logger = createRootLogger(
      loadConfig({ APP_ROLE: 'api', LOG_LEVEL: 'trace' }),
      { write: (line: string) => void lines.push(line) },
      scrubber,
    );

    logger.info({ event: 'x', value: SECRET, nested: { [SECRET]: [encodeURIComponent(SECRET)] } }, `got ${SECRET}`);
    logger.error(new Error(`invalid input syntax for type uuid: "${SECRET}"`));
    logger.child({ header: `Basic ${Buffer.from(`alpha:${SECRET}`).toString('base64')}` }).trace('with a binding');

    expect(lines).toHaveLength(3);
    for (const line of lines) {
      expect(line).toContain(REDACTED);
      expect(line).not.toContain(SECRET);
      expect(prettyLine(JSON.parse(line) as Record<string, unknown>)).not.toContain(SECRET);
    }
    expect(JSON.parse(lines[0])).toMatchObject({
      event: 'x',
      value: REDACTED,
      nested: { [REDACTED]: [REDACTED] },
      msg: `got ${REDACTED}`,
    });
  });
});

describe('the request logging (pino-http with loggingParams)', () => {
  async function serve(handler: (req: IncomingMessage, res: ServerResponse) => void) {
    const lines: Record<string, unknown>[] = [];
    const logger = createRootLogger(loadConfig({ APP_ROLE: 'api', LOG_LEVEL: 'info' }), {
      write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>),
    });
    const middleware = pinoHttp(loggingParams(logger).pinoHttp as Options);
    const server = createServer((req, res) => middleware(req, res, () => handler(req, res))).listen(0, '127.0.0.1');
    await once(server, 'listening');
    const close = async () => {
      // fetch keeps its connection alive, which would hold close() (and the test worker) open for seconds.
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    };
    return { lines, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close };
  }

  it('binds the request id to each line, redacts Authorization, and never logs the body', async () => {
    const app = await serve((req, res) => {
      req.log.info({ event: 'inside' }, 'handling');
      res.statusCode = 201;
      res.end('{}');
    });
    try {
      const res = await fetch(`${app.url}/messages`, {
        method: 'POST',
        headers: { authorization: 'Bearer s3cret', cookie: 'session=s3cret', 'x-request-id': 'req-7' },
        body: 'a message body',
      });
      expect(res.headers.get('x-request-id')).toBe('req-7');
      await res.text();
      expect(app.lines).toEqual([
        expect.objectContaining({ reqId: 'req-7', event: 'inside', msg: 'handling' }),
        expect.objectContaining({
          reqId: 'req-7',
          msg: 'request completed',
          req: expect.objectContaining({
            method: 'POST',
            url: '/messages',
            headers: expect.objectContaining({ authorization: '[REDACTED]', cookie: '[REDACTED]' }),
          }),
          res: { statusCode: 201 },
        }),
      ]);
      // The in-request line carries the id only, not the whole request again.
      expect(app.lines[0]).not.toHaveProperty('req');
      const written = JSON.stringify(app.lines);
      expect(written).not.toContain('s3cret');
      expect(written).not.toContain('a message body');
    } finally {
      await app.close();
    }
  });

  it('redacts the values of headers and query parameters named like credentials, though no one configured them', async () => {
    const app = await serve((_req, res) => res.end());
    try {
      const res = await fetch(`${app.url}/messages?api_key=wrong-1&recipient=123&limit=5&access_token=wrong-2`, {
        headers: {
          'x-api-key': 'wrong-3',
          'proxy-authorization': 'Basic d3Jvbmc=',
          'x-auth-token': 'wrong-4',
          'idempotency-key': 'order-1042',
        },
      });
      await res.text();
      expect(app.lines).toEqual([
        expect.objectContaining({
          req: expect.objectContaining({
            url: `/messages?api_key=${REDACTED}&recipient=123&limit=5&access_token=${REDACTED}`,
            headers: expect.objectContaining({
              'x-api-key': REDACTED,
              'proxy-authorization': REDACTED,
              'x-auth-token': REDACTED,
              'idempotency-key': 'order-1042',
            }),
          }),
        }),
      ]);
      expect(JSON.stringify(app.lines)).not.toMatch(/wrong-|d3Jvbmc=/);
    } finally {
      await app.close();
    }
  });

  it('logs 5xx answers as errors, 503 (the database away) as a warning, and probes not at all', async () => {
    const statuses: Record<string, number> = { '/boom': 500, '/away': 503, '/health/ready': 200, '/metrics': 200 };
    const app = await serve((req, res) => {
      res.statusCode = statuses[req.url!];
      res.end();
    });
    try {
      for (const path of Object.keys(statuses)) await (await fetch(`${app.url}${path}`)).text();
      expect(app.lines.map((l) => [(l.req as { url: string }).url, l.level])).toEqual([
        ['/boom', 50],
        ['/away', 40],
      ]);
      // Not the Error pino-http makes up for a 5xx: its stack is pino-http's own, and says nothing.
      expect(app.lines[0]).not.toHaveProperty('err');
    } finally {
      await app.close();
    }
  });
});

describe('endLogs', () => {
  it('writes out every line, in order, before it resolves: nothing is left for the exit to lose', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'end-logs-'));
    try {
      const file = join(dir, 'out.log');
      // An asynchronous destination, as the service's stdout is.
      const logger = pino({ base: null, timestamp: false }, pino.destination({ dest: file, sync: false }));
      for (let i = 0; i < 2000; i++) logger.info({ i });

      await endLogs(logger);

      const written = readFileSync(file, 'utf8')
        .trim()
        .split('\n')
        .map((line) => (JSON.parse(line) as { i: number }).i);
      expect(written).toEqual(Array.from({ length: 2000 }, (_, i) => i));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
