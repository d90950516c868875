import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { pipeline, Readable } from 'node:stream';
import { Webhook } from 'standardwebhooks';
import { checkCallbackUrl, type LookupAll } from './callback-address';
import { DEFAULT_USER_AGENT, WebhookClient, type WebhookRequest } from './webhook-client';
import { WebhookSecret } from './webhook-signature';

const secretText = `whsec_${randomBytes(32).toString('base64')}`;
const secret = WebhookSecret.parse(secretText) as WebhookSecret;
const body = JSON.stringify({
  type: 'message.sent',
  timestamp: new Date().toISOString(),
  data: { id: 'm-1', body: 'Hi 👋' },
});

interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** A receiver on 127.0.0.1 whose path says how it answers. */
class Receiver {
  readonly received: Received[] = [];
  connections = 0;
  /** Settles when an answer the client stopped reading closes: whether all of it was written. */
  bigAnswer?: Promise<boolean>;
  private server!: Server;
  private readonly open = new Set<ServerResponse>();

  async start(): Promise<void> {
    this.server = createServer((request, response) => void this.handle(request, response));
    this.server.on('connection', () => this.connections++);
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
  }

  url(path: string, host = '127.0.0.1'): string {
    return `http://${host}:${(this.server.address() as AddressInfo).port}${path}`;
  }

  async stop(): Promise<void> {
    for (const response of this.open) response.destroy();
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, 'close');
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    let text = '';
    for await (const chunk of request) text += chunk;
    this.received.push({ method: request.method!, url: request.url!, headers: request.headers, body: text });
    const path = new URL(request.url!, 'http://x').pathname;
    this.open.add(response);
    response.on('close', () => this.open.delete(response));
    switch (path) {
      case '/ok':
        return void response.writeHead(204).end();
      case '/error':
        return void response.writeHead(500, { 'content-type': 'text/plain' }).end('boom');
      case '/redirect':
        return void response.writeHead(302, { location: '/ok' }).end();
      case '/hang':
        return; // never answers
      case '/drip':
        response.writeHead(200);
        for (let i = 0; i < 1_000 && !response.destroyed; i++) {
          response.write('.');
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        return void response.end();
      case '/big': {
        response.writeHead(200, { 'content-type': 'text/plain' });
        this.bigAnswer = new Promise((resolve) => response.on('close', () => resolve(response.writableFinished)));
        // 32 MB, written only as fast as the client reads
        const chunks = Readable.from(Array.from({ length: 512 }, () => Buffer.alloc(64 * 1024, 'x')));
        return void pipeline(chunks, response, () => {});
      }
    }
  }
}

const attempt = (url: string, eventId = 'evt_1'): WebhookRequest => ({ url, eventId, body, secrets: [secret] });

describe('WebhookClient against a real receiver', () => {
  const receiver = new Receiver();
  let client: WebhookClient;

  beforeAll(async () => {
    await receiver.start();
    client = new WebhookClient({ allowPrivate: true });
  });
  afterAll(async () => {
    await client.close();
    await receiver.stop();
  });
  beforeEach(() => receiver.received.splice(0));

  it('posts the body as JSON with Standard Webhooks headers a receiver verifies', async () => {
    const result = await client.deliver(attempt(receiver.url('/ok?source=dispatch'), 'evt_verified'));
    expect(result).toEqual({ delivered: true, statusCode: 204, latencyMs: expect.any(Number), error: null });
    const [request] = receiver.received;
    expect(request).toMatchObject({ method: 'POST', url: '/ok?source=dispatch', body });
    expect(request.headers).toMatchObject({
      'content-type': 'application/json',
      'user-agent': DEFAULT_USER_AGENT,
      'webhook-id': 'evt_verified',
      'content-length': String(Buffer.byteLength(body)),
    });
    expect(new Webhook(secretText).verify(request.body, request.headers as Record<string, string>)).toEqual(
      JSON.parse(body),
    );
  });

  it('signs each attempt afresh under the same webhook-id', async () => {
    await client.deliver(attempt(receiver.url('/ok'), 'evt_again'), new Date(Date.now() - 60_000));
    await client.deliver(attempt(receiver.url('/ok'), 'evt_again'));
    const [first, second] = receiver.received.map((request) => request.headers);
    expect(second['webhook-id']).toBe(first['webhook-id']);
    expect(Number(second['webhook-timestamp']) - Number(first['webhook-timestamp'])).toBeGreaterThanOrEqual(59);
    for (const headers of [first, second])
      expect(() => new Webhook(secretText).verify(body, headers as Record<string, string>)).not.toThrow();
  });

  it('keeps the connection to a receiver alive between callbacks', async () => {
    const before = receiver.connections;
    await client.deliver(attempt(receiver.url('/ok')));
    await client.deliver(attempt(receiver.url('/ok')));
    expect(receiver.connections - before).toBeLessThanOrEqual(1);
  });

  it('counts a non-2xx answer as failed, naming the status and nothing secret', async () => {
    const result = await client.deliver(attempt(receiver.url('/error')));
    expect(result).toEqual({ delivered: false, statusCode: 500, latencyMs: expect.any(Number), error: 'HTTP 500' });
    expect(JSON.stringify(result)).not.toContain(secretText.slice(6, 14));
  });

  it('does not follow a redirect: a 3xx is a failed attempt', async () => {
    const result = await client.deliver(attempt(receiver.url('/redirect')));
    expect(result).toMatchObject({ delivered: false, statusCode: 302, error: 'HTTP 302 (redirects are not followed)' });
    expect(receiver.received.map((request) => request.url)).toEqual(['/redirect']);
  });

  it('reads a large answer only up to its bound, dropping the rest', async () => {
    const result = await client.deliver(attempt(receiver.url('/big')));
    expect(result).toMatchObject({ delivered: true, statusCode: 200 });
    await expect(receiver.bigAnswer).resolves.toBe(false); // closed before the 32 MB were written
  });

  it('reports a refused connection as one, without a status', async () => {
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const { port } = closed.address() as AddressInfo;
    closed.close();
    await once(closed, 'close');
    const result = await client.deliver(attempt(`http://127.0.0.1:${port}/`));
    expect(result).toMatchObject({ delivered: false, statusCode: null, error: 'connection refused (ECONNREFUSED)' });
  });

  it('reports a host that does not resolve', async () => {
    const nowhere: LookupAll = (hostname, _options, callback) =>
      callback(Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }), []);
    const resolving = new WebhookClient({ allowPrivate: true, lookup: nowhere });
    try {
      const result = await resolving.deliver(attempt('http://hooks.example.invalid/'));
      expect(result).toMatchObject({ delivered: false, statusCode: null, error: 'host not found (ENOTFOUND)' });
    } finally {
      await resolving.close();
    }
  });

  it('throws, rather than fail an attempt, when the event cannot be signed: retrying would not help', async () => {
    await expect(client.deliver({ ...attempt(receiver.url('/ok')), secrets: [] })).rejects.toThrow(
      /at least one secret/,
    );
    expect(receiver.received).toEqual([]);
  });

  describe('with a short timeout', () => {
    const timeoutMs = 500;
    let impatient: WebhookClient;
    beforeAll(() => (impatient = new WebhookClient({ allowPrivate: true, timeoutMs })));
    afterAll(() => impatient.close());

    it('gives up on a receiver that does not answer in time: failed, no status', async () => {
      const result = await impatient.deliver(attempt(receiver.url('/hang')));
      expect(result).toMatchObject({ delivered: false, statusCode: null, error: 'no answer within 500 ms' });
      expect(result.latencyMs).toBeGreaterThanOrEqual(timeoutMs - 50);
    });

    it('counts a 2xx whose body never ends as delivered, and still ends the attempt in time', async () => {
      const started = Date.now();
      const result = await impatient.deliver(attempt(receiver.url('/drip')));
      expect(result).toMatchObject({ delivered: true, statusCode: 200, error: null });
      expect(Date.now() - started).toBeLessThan(10_000); // the receiver drips for 20 s
    });
  });
});

describe('WebhookClient without private networks', () => {
  const receiver = new Receiver();
  /** Stand-in DNS: every name resolves to these addresses. */
  const resolvingTo =
    (...addresses: string[]): LookupAll =>
    (_hostname, _options, callback) =>
      callback(
        null,
        addresses.map((address) => ({ address, family: address.includes(':') ? 6 : 4 })),
      );

  beforeAll(() => receiver.start());
  afterAll(() => receiver.stop());

  async function deliverWith(url: string, lookup?: LookupAll) {
    const client = new WebhookClient({ allowPrivate: false, lookup });
    try {
      return await client.deliver(attempt(url));
    } finally {
      await client.close();
    }
  }

  it.each([
    ['a literal loopback address', '127.0.0.1'],
    ['a name the system resolves to loopback', 'localhost'],
  ])('refuses %s before connecting', async (_case, host) => {
    const result = await deliverWith(receiver.url('/ok', host));
    expect(result).toMatchObject({
      delivered: false,
      statusCode: null,
      error: 'refused to connect to a loopback address',
    });
    expect(receiver.connections).toBe(0);
  });

  it('checks the address the connection uses, not the one seen at POST (DNS rebinding)', async () => {
    const url = receiver.url('/ok', 'rebind.example.com');
    await expect(
      checkCallbackUrl(url, { allowPrivate: false, lookup: resolvingTo('93.184.216.34') }),
    ).resolves.toBeNull();
    const result = await deliverWith(url, resolvingTo('127.0.0.1'));
    expect(result.error).toBe('refused to connect to a loopback address');
    expect(receiver.connections).toBe(0);
  });

  it('refuses a name with any forbidden address among its public ones', async () => {
    const result = await deliverWith(
      receiver.url('/ok', 'mixed.example.com'),
      resolvingTo('93.184.216.34', '::ffff:10.0.0.1'),
    );
    expect(result.error).toBe('refused to connect to a private-network address');
    expect(receiver.connections).toBe(0);
  });
});
