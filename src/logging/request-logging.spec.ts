import { Logger } from '@nestjs/common';
import type { FastifyInstance } from 'fastify';
import { fastify as createFastify } from 'fastify';
import { once } from 'node:events';
import { connect } from 'node:net';
import type { AddressInfo } from 'node:net';
import { PinoLogger } from 'nestjs-pino';
import { loadConfig } from '../config/app-config';
import { createRootLogger, loggingParams, nestLogger, REQUEST_ID_HEADER, requestIdFrom } from './logging';
import { logRequests } from './request-logging';
import { REDACTED } from './secret-scrubber';

// nestjs-pino keeps one root logger per process: one for the whole file, its lines emptied before each test.
const lines: Record<string, unknown>[] = [];
const root = createRootLogger(loadConfig({ APP_ROLE: 'api', LOG_LEVEL: 'info' }), {
  write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>),
});
const params = loggingParams(root);
const log = new Logger('Handler');

describe('logRequests', () => {
  let app: FastifyInstance;
  beforeAll(() => Logger.overrideLogger(nestLogger(root, params)));
  beforeEach(() => {
    lines.length = 0;
    app = createFastify({ genReqId: (req) => requestIdFrom(req.headers[REQUEST_ID_HEADER]) });
    logRequests(app, new PinoLogger(params));
  });
  afterEach(() => app.close());

  /** Sends a request to the app, listening, and reads the whole answer. */
  async function send(path: string, init: RequestInit = {}): Promise<void> {
    if (!app.server.listening) await app.listen({ port: 0, host: '127.0.0.1' });
    const res = await fetch(`http://127.0.0.1:${(app.server.address() as AddressInfo).port}${path}`, init);
    await res.text();
    // fetch keeps its connection alive, which would hold close() (and the test worker) open for seconds.
    app.server.closeAllConnections();
  }

  it('writes one line per request, with its id on every line logged meanwhile, Authorization redacted, no body', async () => {
    app.post('/messages', async (_request, reply) => {
      log.log({ event: 'inside' }, 'handling');
      await new Promise((resolve) => setImmediate(resolve));
      log.log({ event: 'after a turn' });
      return reply.status(201).send({});
    });
    await send('/messages', {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: 'Bearer s3cret',
        cookie: 'session=s3cret',
        'x-request-id': 'req-7',
      },
      body: JSON.stringify({ body: 'a message body' }),
    });

    expect(lines).toEqual([
      expect.objectContaining({ reqId: 'req-7', context: 'Handler', event: 'inside', msg: 'handling' }),
      expect.objectContaining({ reqId: 'req-7', context: 'Handler', event: 'after a turn' }),
      expect.objectContaining({
        level: 30,
        reqId: 'req-7',
        msg: 'request completed',
        req: expect.objectContaining({
          id: 'req-7',
          method: 'POST',
          url: '/messages',
          query: {},
          headers: expect.objectContaining({ authorization: REDACTED, cookie: REDACTED }),
          remoteAddress: expect.any(String),
        }),
        res: { statusCode: 201 },
        responseTime: expect.any(Number),
      }),
    ]);
    // The lines logged meanwhile carry the id only, not the whole request again.
    expect(lines[0]).not.toHaveProperty('req');
    const written = JSON.stringify(lines);
    expect(written).not.toContain('s3cret');
    expect(written).not.toContain('a message body');
  });

  it('redacts the values of headers and query parameters named like credentials, though no one configured them', async () => {
    app.get('/messages', async () => []);
    await send('/messages?api_key=wrong-1&recipient=123&limit=5&access_token=wrong-2', {
      headers: {
        'x-api-key': 'wrong-3',
        'proxy-authorization': 'Basic d3Jvbmc=',
        'x-auth-token': 'wrong-4',
        'idempotency-key': 'order-1042',
      },
    });

    expect(lines).toEqual([
      expect.objectContaining({
        req: expect.objectContaining({
          url: `/messages?api_key=${REDACTED}&recipient=123&limit=5&access_token=${REDACTED}`,
          query: { api_key: REDACTED, recipient: '123', limit: '5', access_token: REDACTED },
          headers: expect.objectContaining({
            'x-api-key': REDACTED,
            'proxy-authorization': REDACTED,
            'x-auth-token': REDACTED,
            'idempotency-key': 'order-1042',
          }),
        }),
      }),
    ]);
    expect(JSON.stringify(lines)).not.toMatch(/wrong-|d3Jvbmc=/);
  });

  it('logs 5xx answers as errors, 503 (the database away) as a warning, and probes not at all', async () => {
    const statuses: Record<string, number> = { '/boom': 500, '/away': 503, '/health/ready': 200, '/metrics': 200 };
    for (const [path, status] of Object.entries(statuses))
      app.get(path, async (_request, reply) => reply.status(status).send());
    for (const path of Object.keys(statuses)) await send(path);

    expect(lines.map((l) => [(l.req as { url: string }).url, l.level, l.msg])).toEqual([
      ['/boom', 50, 'request errored'],
      ['/away', 40, 'request errored'],
    ]);
    expect(lines[0]).not.toHaveProperty('err');
  });

  it('still gives a probe its id on the lines logged while it is answered', async () => {
    app.get('/health/ready', async () => {
      log.log({ event: 'readiness' });
      return {};
    });
    await send('/health/ready', { headers: { 'x-request-id': 'probe-1' } });

    expect(lines).toEqual([expect.objectContaining({ reqId: 'probe-1', event: 'readiness' })]);
  });

  it('logs a request whose client went away before the answer as aborted, once', async () => {
    let answer: () => void = () => undefined;
    const answered = new Promise<void>((resolve) => (answer = resolve));
    app.get('/slow', async () => {
      await answered;
      return {};
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    const client = connect((app.server.address() as AddressInfo).port, '127.0.0.1');
    await once(client, 'connect');
    client.write('GET /slow HTTP/1.1\r\nHost: x\r\nX-Request-Id: gone-1\r\n\r\n');
    await new Promise((resolve) => setTimeout(resolve, 50));
    client.destroy();
    for (let waited = 0; lines.length === 0 && waited < 5_000; waited += 10)
      await new Promise((resolve) => setTimeout(resolve, 10));
    answer();
    await new Promise((resolve) => setTimeout(resolve, 50));

    expect(lines).toEqual([
      expect.objectContaining({
        level: 30,
        reqId: 'gone-1',
        msg: 'request aborted',
        req: expect.objectContaining({ method: 'GET', url: '/slow' }),
        res: { statusCode: null },
      }),
    ]);
  });
});
