import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the fake API received. */
export interface ReceivedRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  /** The body parsed as JSON (undefined when it is not JSON). */
  readonly body: unknown;
}

/** An answer: an HTTP status and a JSON body (a string is sent as it is). */
export interface FakeAnswer {
  readonly status: number;
  readonly body: unknown;
}

/**
 * A stand-in for the three messengers' APIs on 127.0.0.1, as their docs describe the calls we make: Telegram's
 * `/bot<token>/sendMessage`, WhatsApp's `/<version>/<phone-number-id>/messages` (Bearer token) and Viber's
 * `/pa/send_message` (X-Viber-Auth-Token). Like the emulator server, it takes any token except one starting with
 * "revoked", which it answers as each API answers a revoked token. `script` may answer a request its own way.
 */
export class FakeMessengerApi {
  readonly requests: ReceivedRequest[] = [];
  /** Answers a request before the defaults do; undefined: the default answer; 'stall': no answer at all. */
  script: ((request: ReceivedRequest) => FakeAnswer | 'stall' | undefined) | undefined;
  private server?: Server;
  private nextId = 1000;

  get baseUrl(): string {
    return `http://127.0.0.1:${(this.server!.address() as AddressInfo).port}`;
  }

  async start(): Promise<this> {
    this.server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        try {
          body = JSON.parse(text);
        } catch {
          body = undefined;
        }
        const received = { method: request.method ?? '', path: request.url ?? '', headers: request.headers, body };
        this.requests.push(received);
        const answer = this.script?.(received) ?? this.answer(received);
        if (answer !== 'stall') reply(response, answer);
      });
    });
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    return this;
  }

  async stop(): Promise<void> {
    if (!this.server) return;
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, 'close');
  }

  private answer({ path, headers }: ReceivedRequest): FakeAnswer {
    const id = this.nextId++;
    const telegram = /^\/bot([^/]+)\/sendMessage$/.exec(path);
    if (telegram) {
      return telegram[1].startsWith('revoked')
        ? { status: 401, body: { ok: false, error_code: 401, description: 'Unauthorized' } }
        : { status: 200, body: { ok: true, result: { message_id: id, date: 0, chat: { id: 1, type: 'private' } } } };
    }
    if (/^\/v\d+\.\d+\/\d+\/messages$/.test(path)) {
      const token = /^Bearer (.+)$/.exec(headers.authorization ?? '')?.[1] ?? '';
      return token.startsWith('revoked')
        ? {
            status: 401,
            body: {
              error: {
                message: 'Error validating access token: The session has been invalidated.',
                type: 'OAuthException',
                code: 190,
                error_subcode: 460,
                fbtrace_id: 'AbCdEf',
              },
            },
          }
        : {
            status: 200,
            body: { messaging_product: 'whatsapp', contacts: [], messages: [{ id: `wamid.${id}` }] },
          };
    }
    if (path === '/pa/send_message') {
      const token = String(headers['x-viber-auth-token'] ?? '');
      return token.startsWith('revoked')
        ? { status: 200, body: { status: 2, status_message: 'invalidAuthToken' } }
        : { status: 200, body: '{"status":0,"status_message":"ok","message_token":5741311803571721087}' };
    }
    return { status: 404, body: { ok: false, error_code: 404, description: 'Not Found' } };
  }
}

function reply(response: ServerResponse, { status, body }: FakeAnswer): void {
  response.writeHead(status, { 'content-type': 'application/json' });
  response.end(typeof body === 'string' ? body : JSON.stringify(body));
}
