import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { RequestValidationException } from './validation-errors';

/**
 * How deep a request's JSON may nest. The API's own documents are 3 levels deep (request → recipients →
 * recipient); past a few thousand levels class-transformer's recursive copy overflows the stack, a 500
 * that costs the server CPU while it recurses. 32 leaves room for any sane client and none for that.
 */
export const MAX_JSON_DEPTH = 32;

/**
 * Where a parsed JSON value first nests deeper than `limit` (objects and arrays count a level each), as
 * the path of the top-level field holding it ('' for the document itself), or null when it doesn't.
 * Iterative, so that the check cannot overflow the stack it protects.
 */
export function tooDeepAt(value: unknown, limit: number): string | null {
  const pending: Array<{ value: unknown; depth: number; field: string }> = [{ value, depth: 0, field: '' }];
  while (pending.length > 0) {
    const { value: node, depth, field } = pending.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth >= limit) return field;
    const entries = Array.isArray(node) ? node.map((item, i) => [String(i), item] as const) : Object.entries(node);
    for (const [key, child] of entries) {
      const childField = depth > 0 ? field : Array.isArray(node) ? `[${key}]` : key;
      pending.push({ value: child, depth: depth + 1, field: childField });
    }
  }
  return null;
}

/**
 * A Fastify preValidation hook: a body that nests deeper than `maxDepth` is a 400 VALIDATION_FAILED naming
 * the top-level field, before Nest's pipes walk it. Install with `fastify.addHook('preValidation', …)`.
 */
export function rejectDeeplyNestedJson(maxDepth = MAX_JSON_DEPTH) {
  return (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    const field = tooDeepAt(request.body, maxDepth);
    if (field === null) return done();
    done(new RequestValidationException([{ field: field || '(request body)', reason: `nests deeper than ${maxDepth} levels` }]));
  };
}
