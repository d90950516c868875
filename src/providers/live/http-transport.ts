import { Pool, type Dispatcher } from 'undici';
import { REDACTED } from '../../logging/secret-scrubber';
import { parseJsonExact } from './exact-json';

/** One sender account's connection to its messenger's API. */
export interface HttpTransportOptions {
  /** The API root as the messenger documents it: an origin, and a path prefix (an API version) if any. */
  readonly baseUrl: string;
  /** Sent with every request: the credentials, for messengers that take them in a header. */
  readonly headers?: Readonly<Record<string, string>>;
  /** What no request name or description may show: the account's tokens (one may be in the URL path). */
  readonly secrets: readonly string[];
  /** Longest wait for a connection (TCP and TLS) to the API. */
  readonly connectTimeoutMs: number;
  /** Longest a call takes, from the call to the last byte of the answer, waiting for a connection included. */
  readonly sendTimeoutMs: number;
  /** Most connections open at once; further calls wait for one (within sendTimeoutMs). */
  readonly connections?: number;
  /** A larger answer is a malformed one: our messengers answer a send in well under 1 KiB. */
  readonly maxAnswerBytes?: number;
  /** Calls `expire` after `ms` unless cancelled (the returned function); tests end a call's wait by hand. */
  readonly deadline?: (expire: () => void, ms: number) => () => void;
}

/**
 * How a call ended:
 * - `answered`: the API answered, whatever the status (a 3xx included: redirects are not followed); `body` is
 *   the JSON it sent (an integer beyond 2^53 as its digits, see parseJsonExact), or its text if not JSON;
 * - `not_sent`: the request was never written, so nothing was delivered: safe to send again;
 * - `no_answer`: the request may have been written and no usable answer came (timeout, connection lost,
 *   an answer too large): the message may have been delivered — the lost-answer case.
 * Descriptions name the request with its secrets redacted, and never carry a secret.
 */
export type TransportResult =
  | { readonly kind: 'answered'; readonly httpStatus: number; readonly body: unknown }
  | { readonly kind: 'not_sent'; readonly code: 'connect_failed' | 'connect_timeout'; readonly description: string }
  | {
      readonly kind: 'no_answer';
      readonly code: 'timeout' | 'connection_lost' | 'malformed_response';
      readonly description: string;
    };

/** Enough for the dispatcher's concurrency against one account; more would only queue at the API. */
const DEFAULT_CONNECTIONS = 16;
const DEFAULT_MAX_ANSWER_BYTES = 64 * 1024;

function timerDeadline(expire: () => void, ms: number): () => void {
  const timer = setTimeout(expire, ms);
  return () => clearTimeout(timer);
}

/**
 * JSON over HTTP to one account's API origin, through a keep-alive pool of its own. Whatever the network does,
 * a call settles with a TransportResult, telling a request never written (safe to retry) from one that was.
 */
export class HttpTransport {
  private readonly pool: Pool;
  private readonly origin: string;
  /** The base URL's path, without a trailing slash; a call's path is joined to it. */
  private readonly basePath: string;
  private readonly maxAnswerBytes: number;
  private readonly redactions: readonly string[];
  private closing?: Promise<void>;

  constructor(private readonly options: HttpTransportOptions) {
    const url = new URL(options.baseUrl);
    this.origin = url.origin;
    this.basePath = url.pathname.replace(/\/+$/, '');
    this.maxAnswerBytes = options.maxAnswerBytes ?? DEFAULT_MAX_ANSWER_BYTES;
    // A secret may be written percent-encoded in a path; longest first, so one inside another goes whole.
    const forms = options.secrets
      .filter((secret) => secret !== '')
      .flatMap((secret) => [secret, encodeURIComponent(secret)]);
    this.redactions = [...new Set(forms)].sort((a, b) => b.length - a.length);
    this.pool = new Pool(this.origin, {
      connections: options.connections ?? DEFAULT_CONNECTIONS,
      connect: { timeout: options.connectTimeoutMs },
      // Our own deadline (sendTimeoutMs) ends a call first; these only keep undici's 300 s defaults out of the way.
      headersTimeout: options.sendTimeoutMs,
      bodyTimeout: options.sendTimeoutMs,
    });
  }

  /** How logs and errors name a POST to `path` (relative to the base URL): "POST https://api.example.org/bot[REDACTED]/sendMessage". */
  nameOf(path: string): string {
    return this.redact(`POST ${this.origin}${this.pathOf(path)}`);
  }

  /**
   * POSTs `body` as JSON to `path` (relative to the base URL), with `idempotencyKey` as its Idempotency-Key.
   * Throws only for a body JSON cannot encode.
   */
  post(path: string, body: unknown, idempotencyKey: string): Promise<TransportResult> {
    const name = this.nameOf(path);
    const payload = Buffer.from(JSON.stringify(body), 'utf8');
    return new Promise<TransportResult>((resolve) => {
      let written = false;
      let settled = false;
      let controller: Dispatcher.DispatchController | undefined;
      let status = 0;
      let size = 0;
      const chunks: Buffer[] = [];

      const settle = (result: TransportResult) => {
        if (settled) return;
        settled = true;
        cancelDeadline();
        resolve(result);
      };
      const notSent = (code: 'connect_failed' | 'connect_timeout', what: string) =>
        settle({ kind: 'not_sent', code, description: this.redact(`${name}: not sent: ${what}`) });
      const noAnswer = (code: 'timeout' | 'connection_lost' | 'malformed_response', what: string) =>
        settle({ kind: 'no_answer', code, description: this.redact(`${name}: ${what}`) });
      const tooLarge = () => {
        noAnswer('malformed_response', `the answer (HTTP ${status}) is over ${this.maxAnswerBytes} bytes`);
        controller?.abort(new Error('answer too large'));
      };

      const cancelDeadline = (this.options.deadline ?? timerDeadline)(() => {
        if (!written) {
          // Still waiting for a connection: the request is dropped before it is written (onRequestStart).
          return notSent('connect_timeout', `no connection within ${this.options.sendTimeoutMs} ms`);
        }
        noAnswer('timeout', `sent, then no answer within ${this.options.sendTimeoutMs} ms`);
        controller?.abort(new Error('send timeout'));
      }, this.options.sendTimeoutMs);

      const handler: Dispatcher.DispatchHandler = {
        // Called on a connected socket just before the request is written to it: the line between the two cases.
        onRequestStart: (started) => {
          controller = started;
          if (settled) started.abort(new Error('send timeout'));
          else written = true;
        },
        onResponseStart: (_controller, statusCode, headers) => {
          status = statusCode;
          if (Number(headers['content-length']) > this.maxAnswerBytes) tooLarge();
        },
        onResponseData: (_controller, chunk) => {
          size += chunk.length;
          if (size > this.maxAnswerBytes) tooLarge();
          else chunks.push(chunk);
        },
        onResponseEnd: () => settle({ kind: 'answered', httpStatus: status, body: answerBody(Buffer.concat(chunks)) }),
        onResponseError: (_controller, error) => {
          const code = errorCode(error);
          if (!written)
            return notSent(code === 'UND_ERR_CONNECT_TIMEOUT' ? 'connect_timeout' : 'connect_failed', describe(error));
          const timedOut = code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT';
          noAnswer(timedOut ? 'timeout' : 'connection_lost', `sent, then no answer: ${describe(error)}`);
        },
      };

      this.pool.dispatch(
        {
          path: this.pathOf(path),
          method: 'POST',
          headers: {
            ...this.options.headers,
            'content-type': 'application/json',
            accept: 'application/json',
            'idempotency-key': idempotencyKey,
          },
          body: payload,
        },
        handler,
      );
    });
  }

  /** Waits for calls under way, then closes every connection; calls after it are not sent. Idempotent. */
  close(): Promise<void> {
    this.closing ??= this.pool.close();
    return this.closing;
  }

  private pathOf(path: string): string {
    return `${this.basePath}/${path.replace(/^\/+/, '')}`;
  }

  private redact(text: string): string {
    return this.redactions.reduce((redacted, secret) => redacted.replaceAll(secret, REDACTED), text);
  }
}

/** The answer's JSON, or its text when it is not JSON (a proxy's HTML error page, an empty body). */
function answerBody(bytes: Buffer): unknown {
  const text = bytes.toString('utf8');
  try {
    return parseJsonExact(text);
  } catch {
    return text;
  }
}

function errorCode(error: Error): string {
  return String((error as NodeJS.ErrnoException).code ?? '');
}

/** "connect ECONNREFUSED 127.0.0.1:9", "other side closed (UND_ERR_SOCKET)". */
function describe(error: Error): string {
  const code = errorCode(error);
  return code === '' || error.message.includes(code) ? error.message : `${error.message} (${code})`;
}
