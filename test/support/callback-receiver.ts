import { once } from 'node:events';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';

/** One request the receiver got, as it arrived: the raw body is what a signature covers. */
export interface ReceivedCallback {
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly rawBody: string;
  /** The parsed body: { type, timestamp, data }. */
  readonly body: { type: string; timestamp: string; data: Record<string, unknown> };
  /** What the receiver answered (or 'hang': nothing). */
  readonly answer: Answer;
}

/** How the receiver answers a request: a status, a redirect, or no answer at all (held until close). */
export type Answer = number | { redirect: string } | 'hang';

/** A fresh Standard Webhooks secret: whsec_ and 32 random bytes in base64. */
export const aWebhookSecret = (): string => `whsec_${randomBytes(32).toString('base64')}`;

/**
 * A real HTTP receiver on 127.0.0.1 for the callbacks' specs. `answer` decides each answer from the request
 * (and how many came before it with the same webhook-id); every request is remembered.
 */
export class CallbackReceiver {
  readonly received: ReceivedCallback[] = [];
  answer: (request: { path: string; eventId: string; type: string; previousTries: number }) => Answer = () => 204;
  private readonly held = new Set<ServerResponse>();
  private server!: Server;
  url = '';

  async start(): Promise<this> {
    this.server = createServer((request, response) => void this.handle(request, response));
    this.server.listen(0, '127.0.0.1');
    await once(this.server, 'listening');
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this;
  }

  /** The requests whose answer was a 2xx, i.e. the deliveries. */
  get delivered(): ReceivedCallback[] {
    return this.received.filter(({ answer }) => typeof answer === 'number' && answer >= 200 && answer < 300);
  }

  /** The requests for this message, in arrival order. */
  forMessage(id: string): ReceivedCallback[] {
    return this.received.filter((callback) => callback.body.data.id === id);
  }

  async close(): Promise<void> {
    for (const response of this.held) response.destroy();
    this.server.closeAllConnections();
    this.server.close();
    await once(this.server, 'close');
  }

  private async handle(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const rawBody = Buffer.concat(chunks).toString('utf8');
    const headers = Object.fromEntries(
      Object.entries(request.headers).map(([name, value]) => [name, Array.isArray(value) ? value.join(', ') : value!]),
    );
    const eventId = headers['webhook-id'];
    const previousTries = this.received.filter((callback) => callback.headers['webhook-id'] === eventId).length;
    const path = request.url ?? '/';
    const body = JSON.parse(rawBody) as ReceivedCallback['body'];
    const answer = this.answer({ path, eventId, type: body.type, previousTries });
    this.received.push({ path, headers, rawBody, body, answer });
    if (answer === 'hang') {
      this.held.add(response);
      return;
    }
    if (typeof answer === 'number') response.writeHead(answer).end();
    else response.writeHead(302, { location: answer.redirect }).end();
  }
}
