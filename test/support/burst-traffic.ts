import { request as httpRequest } from 'node:http';
import { MAX_RECIPIENTS } from '../../src/messages/dto/create-message.dto';

/** Bursts of the largest requests, and probes beside them: for the overload spec and the benchmark. */

export interface Answer {
  /** The HTTP status, or the error that ended the exchange (a reset connection, say). */
  readonly status: number | string;
  readonly retryAfter?: string;
  readonly body?: { code?: string; messages?: { id: string }[] };
  readonly ms: number;
}

/** The largest request the rules allow (~128 KB): 1000 Viber recipients with 64-character ids, 7000 emoji. */
export function maximalRequest(n: number): string {
  const recipients = Array.from({ length: MAX_RECIPIENTS }, (_, i) => ({
    provider: 'viber',
    recipient: `${n}-${i}-`.padEnd(64, 'v'),
  }));
  return JSON.stringify({ body: `${'😀'.repeat(6990)}${String(n).padStart(10, '0')}`, recipients });
}

/**
 * Sends every body over its own connection, with the Idempotency-Key of the same index, all but its last
 * byte first, and the last bytes once every connection has handed the rest to the kernel: the requests
 * arrive as nearly at once as HTTP allows.
 */
export async function sendAtOnce(
  port: number,
  bodies: string[],
  keys: string[],
  headers: Record<string, string> = {},
): Promise<Answer[]> {
  const exchanges = bodies.map((body, i) => {
    const payload = Buffer.from(body);
    const started = Date.now();
    let answered!: (answer: Answer) => void;
    const answer = new Promise<Answer>((resolve) => (answered = resolve));
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: 'POST',
        path: '/messages',
        agent: false,
        headers: {
          ...headers,
          'content-type': 'application/json',
          'content-length': payload.length,
          'idempotency-key': keys[i],
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', (error: NodeJS.ErrnoException) =>
          answered({ status: error.code ?? error.message, ms: Date.now() - started }),
        );
        res.on('end', () =>
          answered({
            status: res.statusCode!,
            retryAfter: res.headers['retry-after'],
            body: JSON.parse(Buffer.concat(chunks).toString()),
            ms: Date.now() - started,
          }),
        );
      },
    );
    req.on('error', (error: NodeJS.ErrnoException) =>
      answered({ status: error.code ?? error.message, ms: Date.now() - started }),
    );
    const written = new Promise<void>((resolve) => req.write(payload.subarray(0, -1), () => resolve()));
    return { written, finish: () => (req.end(payload.subarray(-1)), answer) };
  });
  await Promise.all(exchanges.map((e) => e.written));
  return Promise.all(exchanges.map((e) => e.finish()));
}

/**
 * Asks `url` every `everyMs` until stopped, without waiting for the previous answer (a stalled server
 * must show as many slow probes, not as one), and gives each probe's latency; a failed probe counts as
 * Infinity. At most `max` probes.
 */
export function probeEvery(url: string, everyMs: number, max: number): { stop: () => Promise<number[]> } {
  const latencies: Promise<number>[] = [];
  const probe = () => {
    const started = Date.now();
    latencies.push(
      fetch(url).then(
        (res) => (res.ok ? Date.now() - started : Infinity),
        () => Infinity,
      ),
    );
  };
  probe();
  const timer = setInterval(() => (latencies.length < max ? probe() : clearInterval(timer)), everyMs);
  return {
    stop: async () => {
      clearInterval(timer);
      return Promise.all(latencies);
    },
  };
}

export const percentile = (values: number[], p: number) =>
  [...values].sort((a, b) => a - b)[Math.ceil((p / 100) * values.length) - 1];
