import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { pinoHttp, Options } from 'pino-http';
import { loadConfig } from '../config/app-config';
import { createRootLogger, endLogs, loggingParams, prettyLine, requestIdFrom } from './logging';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('requestIdFrom', () => {
  it.each(['abc-123', 'f47ac10b-58cc-4372-a567-0e02b2c3d479', 'x'.repeat(128), 'trace:1/2;span=3'])('keeps %p', (id) => {
    expect(requestIdFrom(id)).toBe(id);
  });

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
    expect(line).toBe('09:41:07.123 WARN  [DispatchService] delivery_attempt messageId=m-1 outcome=retry latencyMs=52 error=Bad Gateway detail={"a":1}\n');
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
    const line = prettyLine({ level: 50, time: '2026-11-28T09:41:07.123Z', msg: 'boom', err: { message: 'x', stack: 'Error: x\n    at f' } });
    expect(line).toBe('09:41:07.123 ERROR boom\nError: x\n    at f\n');
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
          req: expect.objectContaining({ method: 'POST', url: '/messages', headers: expect.objectContaining({ authorization: '[REDACTED]', cookie: '[REDACTED]' }) }),
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

      const written = readFileSync(file, 'utf8').trim().split('\n').map((line) => (JSON.parse(line) as { i: number }).i);
      expect(written).toEqual(Array.from({ length: 2000 }, (_, i) => i));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
