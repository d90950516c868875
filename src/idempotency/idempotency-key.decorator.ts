import type { ExecutionContext } from '@nestjs/common';
import { createParamDecorator } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { RequestValidationException } from '../common/validation-errors';

export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';
/** Set on an answer that is the stored answer of an earlier request with the same key. */
export const IDEMPOTENCY_REPLAY_HEADER = 'Idempotency-Replay';
export const IDEMPOTENCY_KEY_MAX_LENGTH = 255;

/** Why a header value can't be a key, or null when it can. */
export function idempotencyKeyProblem(value: string): string | null {
  if (value.length === 0) return 'must not be empty';
  if (value.length > IDEMPOTENCY_KEY_MAX_LENGTH) {
    return `must be at most ${IDEMPOTENCY_KEY_MAX_LENGTH} characters, not ${value.length}`;
  }
  // Node hands header values over as latin1, one character per byte: a UTF-8 character arrives as two or more
  // characters >= 0x80, so the position and value reported are the byte's.
  const bad = value.search(/[^\x20-\x7E]/);
  if (bad !== -1) {
    const byte = value.charCodeAt(bad).toString(16).toUpperCase().padStart(2, '0');
    return `must contain only printable ASCII characters; byte ${bad + 1} is 0x${byte}`;
  }
  return null;
}

/**
 * The request's Idempotency-Key (undefined without one), checked like a field: a bad key is a 400 that
 * names the header, answered before any key is taken.
 */
export const IdempotencyKey = createParamDecorator((_: unknown, context: ExecutionContext): string | undefined => {
  const value = context.switchToHttp().getRequest<FastifyRequest>().headers[IDEMPOTENCY_KEY_HEADER.toLowerCase()];
  if (value === undefined) return undefined;
  const key = Array.isArray(value) ? value.join(', ') : value;
  const problem = idempotencyKeyProblem(key);
  if (problem) throw new RequestValidationException([{ field: IDEMPOTENCY_KEY_HEADER, reason: problem }]);
  return key;
});
