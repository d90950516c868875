import type { FastifyReply, FastifyRequest } from 'fastify';
import { REDACTED } from '../logging/secret-scrubber';
import type { SendContext } from '../providers/emulators/emulated-messenger';

/**
 * What the emulator server's routes share: the Idempotency-Key they honour, the way an answer is lost, and
 * the request bodies they read themselves (each API words a body it cannot read in its own way).
 */

export const IDEMPOTENCY_KEY = 'idempotency-key';

/** As the inbox keeps it: up to 64 printable characters (our message ids are 36). */
const ACCEPTABLE_KEY = /^[\x21-\x7e]{1,64}$/;

/**
 * The request's Idempotency-Key: undefined when it has none, or an empty one (the real APIs know no such
 * header, so a client team's own requests come without), null when it has one the server cannot keep.
 */
export function idempotencyKeyOf(request: Pick<FastifyRequest, 'headers'>): string | undefined | null {
  const key = request.headers[IDEMPOTENCY_KEY];
  if (key === undefined || key === '') return undefined;
  return typeof key === 'string' && ACCEPTABLE_KEY.test(key) ? key : null;
}

export const IDEMPOTENCY_KEY_RULE = 'Idempotency-Key must be 1-64 printable ASCII characters';

/** Thrown where a lost answer would be sent: the route then drops the connection without a word. */
class AnswerLost extends Error {}

/**
 * How the emulated messenger spends `account`'s limits over HTTP, and how it loses an answer: the send is
 * recorded, then the connection is dropped, so the caller sees its request written and no answer, the
 * ambiguous case a live client must treat as "perhaps delivered".
 */
export function sendContext(account: string): SendContext {
  return { account, loseAnswer: () => Promise.reject(new AnswerLost('answer lost on purpose')) };
}

/**
 * Answers with `answer()`'s status and JSON, or drops the connection when the emulated messenger lost the
 * answer. A send it never answers (a timeout test recipient) is left open: the caller's timeout decides.
 */
export async function answerWith(
  reply: FastifyReply,
  answer: () => Promise<{ readonly status: number; readonly json: string }>,
): Promise<void> {
  let result: { readonly status: number; readonly json: string };
  try {
    result = await answer();
  } catch (error) {
    if (!(error instanceof AnswerLost)) throw error;
    reply.raw.socket?.destroy();
    return;
  }
  await reply.status(result.status).type('application/json').send(result.json);
}

/** Parsed JSON, or undefined when the text is not JSON. */
export function parseJson(text: unknown): unknown {
  if (typeof text !== 'string') return undefined;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The media type of a request, lower case, without its parameters ("application/json"). */
export function mediaType(request: FastifyRequest): string {
  return (request.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
}

/** `/bot<token>/…` with the token replaced: a URL fit for a log line. */
export function redactBotToken(url: string): string {
  return url.replace(/^\/bot[^/?#]*/, `/bot${REDACTED}`);
}
