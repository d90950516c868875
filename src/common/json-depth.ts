import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { RequestValidationException } from './validation-errors';

/**
 * How deep a request's JSON may nest. The API's own documents are 3 levels deep (request → recipients →
 * recipient); past a few thousand levels class-transformer's recursive copy overflows the stack, a 500
 * that costs the server CPU while it recurses. 32 leaves room for any sane client and none for that.
 */
export const MAX_JSON_DEPTH = 32;

/**
 * The longest array a request's JSON may hold: ten times the API's own longest (1000 recipients), so that
 * validation still names the rule a slightly long list breaks. class-transformer converts every item before
 * a list's size is checked, so a longer list would hold the event loop for seconds
 * (docs/performance.md#json-lists-are-capped-at-10000-items-before-validation).
 */
export const MAX_JSON_ARRAY_ITEMS = 10_000;

export interface JsonLimits {
  readonly maxDepth: number;
  readonly maxItems: number;
}

/** Where a parsed JSON value first breaks a limit, and how; the field is the top-level one holding it. */
export interface JsonShapeProblem {
  readonly field: string;
  readonly reason: string;
}

/**
 * The first place a parsed JSON value nests deeper than `maxDepth` (objects and arrays count a level each)
 * or holds an array longer than `maxItems`, named by the top-level field holding it ('' for the document
 * itself), or null. Iterative, so that the check cannot overflow the stack it protects.
 */
export function jsonShapeProblem(value: unknown, { maxDepth, maxItems }: JsonLimits): JsonShapeProblem | null {
  const pending: Array<{ value: unknown; depth: number; field: string }> = [{ value, depth: 0, field: '' }];
  while (pending.length > 0) {
    const { value: node, depth, field } = pending.pop()!;
    if (node === null || typeof node !== 'object') continue;
    if (depth >= maxDepth) return { field, reason: `nests deeper than ${maxDepth} levels` };
    if (Array.isArray(node) && node.length > maxItems) {
      return { field, reason: `holds a list of ${node.length} items, more than ${maxItems}` };
    }
    const entries = Array.isArray(node) ? node.map((item, i) => [String(i), item] as const) : Object.entries(node);
    for (const [key, child] of entries) {
      const childField = depth > 0 ? field : Array.isArray(node) ? `[${key}]` : key;
      pending.push({ value: child, depth: depth + 1, field: childField });
    }
  }
  return null;
}

/** Where a parsed JSON value first nests deeper than `limit`: see jsonShapeProblem. */
export function tooDeepAt(value: unknown, limit: number): string | null {
  return jsonShapeProblem(value, { maxDepth: limit, maxItems: Infinity })?.field ?? null;
}

/**
 * A Fastify preValidation hook: a body that nests too deep or holds too long a list is a 400
 * VALIDATION_FAILED naming the top-level field, before Nest's pipes walk it. Install with
 * `fastify.addHook('preValidation', …)`.
 */
export function rejectOversizedJson(limits: JsonLimits = { maxDepth: MAX_JSON_DEPTH, maxItems: MAX_JSON_ARRAY_ITEMS }) {
  return (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    const problem = jsonShapeProblem(request.body, limits);
    if (problem === null) return done();
    done(new RequestValidationException([{ field: problem.field || '(request body)', reason: problem.reason }]));
  };
}
