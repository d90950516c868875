import { isIP } from 'node:net';
import { performance } from 'node:perf_hooks';
import { Agent, buildConnector, type Dispatcher } from 'undici';
import { forbiddenAddressReason, ForbiddenAddressError, guardedLookup, type LookupAll } from './callback-address';
import { signWebhook, type WebhookSecret } from './webhook-signature';

/** The bound on one attempt, from connecting to the answer's status: then it counts as no answer. */
export const DEFAULT_TIMEOUT_MS = 5_000;
/** Enough to reuse the connection after a typical answer; nothing in the answer is used but its status. */
export const DEFAULT_MAX_ANSWER_BYTES = 4_096;
export const DEFAULT_USER_AGENT = 'messenger-dispatch-callbacks/1';

export interface WebhookClientOptions {
  /** CALLBACK_ALLOW_PRIVATE_NETWORKS: without it, connections to forbidden addresses are refused. */
  readonly allowPrivate: boolean;
  readonly timeoutMs?: number;
  readonly maxAnswerBytes?: number;
  readonly userAgent?: string;
  /** Kept-alive connections per receiver origin, and origins at once: a slow receiver cannot take them all. */
  readonly connectionsPerOrigin?: number;
  readonly maxOrigins?: number;
  /** Name resolution (tests stand in for DNS); the guard applies to what it returns. */
  readonly lookup?: LookupAll;
}

/** One delivery attempt of one event. */
export interface WebhookRequest {
  readonly url: string;
  /** `webhook-id`: the event's id, the same on every attempt. */
  readonly eventId: string;
  /** The JSON sent, byte for byte as signed. */
  readonly body: string;
  readonly secrets: readonly WebhookSecret[];
}

export interface WebhookAttemptResult {
  /** A 2xx answer. */
  readonly delivered: boolean;
  /** null when there was no answer. */
  readonly statusCode: number | null;
  /** From the start of the attempt to the answer's status line, or to the failure. */
  readonly latencyMs: number;
  /** Why it failed, briefly (status or kind of failure); null when delivered. Never holds a secret or the body. */
  readonly error: string | null;
}

/**
 * Posts signed callbacks. Redirects are not followed (a 3xx is a failed attempt: the receiver should be
 * given its new URL), the answer is read to a small bound and dropped, and every attempt ends within the
 * timeout. Unless private networks are allowed, the connector refuses forbidden addresses before any
 * packet is sent: a literal IP host at once, a name through the socket's own lookup (guardedLookup).
 */
export class WebhookClient {
  private readonly agent: Agent;
  private readonly timeoutMs: number;
  private readonly maxAnswerBytes: number;
  private readonly userAgent: string;

  constructor(options: WebhookClientOptions) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.maxAnswerBytes = options.maxAnswerBytes ?? DEFAULT_MAX_ANSWER_BYTES;
    this.userAgent = options.userAgent ?? DEFAULT_USER_AGENT;
    const lookup = guardedLookup(options.lookup, { allowPrivate: options.allowPrivate });
    const connect = buildConnector({ timeout: this.timeoutMs, lookup });
    this.agent = new Agent({
      connections: options.connectionsPerOrigin ?? 4,
      maxOrigins: options.maxOrigins ?? 256,
      // Below the 5 s that Node and most servers keep an idle connection, so we rarely reuse one they are closing.
      keepAliveTimeout: 4_000,
      connect: options.allowPrivate ? connect : refuseForbiddenLiterals(connect),
    });
  }

  /** Resolves with the attempt's result; throws only for an event id or secrets that cannot be signed with. */
  async deliver(request: WebhookRequest, now: Date = new Date()): Promise<WebhookAttemptResult> {
    const headers = {
      ...signWebhook(request.eventId, request.body, request.secrets, now),
      'content-type': 'application/json',
      'user-agent': this.userAgent,
    };
    const started = performance.now();
    const elapsed = () => Math.round(performance.now() - started);
    const deadline = new AbortController();
    const timer = setTimeout(() => deadline.abort(), this.timeoutMs);
    try {
      const url = new URL(request.url);
      const { statusCode, body } = await this.agent.request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: 'POST',
        headers,
        body: request.body,
        signal: deadline.signal,
      });
      const latencyMs = elapsed();
      await drain(body, this.maxAnswerBytes);
      const delivered = statusCode >= 200 && statusCode < 300;
      return { delivered, statusCode, latencyMs, error: delivered ? null : statusError(statusCode) };
    } catch (error) {
      const reason = deadline.signal.aborted ? `no answer within ${this.timeoutMs} ms` : failureKind(error);
      return { delivered: false, statusCode: null, latencyMs: elapsed(), error: reason };
    } finally {
      clearTimeout(timer);
    }
  }

  close(): Promise<void> {
    return this.agent.close();
  }
}

/** A literal IP host makes the socket skip its lookup, so the guard there never sees it: check it here. */
function refuseForbiddenLiterals(connect: buildConnector.connector): buildConnector.connector {
  return (options, callback) => {
    const reason = isIP(options.hostname) ? forbiddenAddressReason(options.hostname) : null;
    if (reason) return callback(new ForbiddenAddressError(reason), null);
    connect(options, callback);
  };
}

/** Reads the answer up to `limit` bytes, then drops the rest with the connection. Its status has already decided. */
async function drain(body: Dispatcher.ResponseData['body'], limit: number): Promise<void> {
  let read = 0;
  try {
    for await (const chunk of body) {
      read += (chunk as Buffer).length;
      if (read > limit) break; // leaving the loop destroys the body, and the connection with it
    }
  } catch {
    // An answer cut short (or out of time) after its status changes nothing.
  }
}

function statusError(statusCode: number): string {
  return statusCode >= 300 && statusCode < 400
    ? `HTTP ${statusCode} (redirects are not followed)`
    : `HTTP ${statusCode}`;
}

const FAILURE_KINDS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EPIPE: 'connection reset',
  UND_ERR_SOCKET: 'connection closed before an answer',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ETIMEDOUT: 'connect timeout',
  UND_ERR_CONNECT_TIMEOUT: 'connect timeout',
  UND_ERR_MAX_ORIGINS_REACHED: 'too many receivers at once',
};

/** A short, stable description of a failure: its kind and code, never the request (which holds the signature). */
function failureKind(error: unknown): string {
  if (error instanceof ForbiddenAddressError) return error.message;
  const code = (error as { code?: unknown })?.code;
  if (typeof code !== 'string') return 'request failed';
  if (FAILURE_KINDS[code]) return `${FAILURE_KINDS[code]} (${code})`;
  if (/CERT|TLS|SSL/.test(code)) return `TLS handshake failed (${code})`;
  return `request failed (${code})`;
}
