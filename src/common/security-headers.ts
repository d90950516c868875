import type { FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import helmet, { type HelmetOptions } from 'helmet';
import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * helmet's headers for `options`, worked out once: they are the same on every answer (no CSP nonces, no
 * directive computed per request), and rebuilding them per request was costly
 * (docs/performance.md#helmets-headers-are-worked-out-once).
 */
export function helmetHeaders(options: HelmetOptions): ReadonlyArray<readonly [string, string]> {
  const headers: [string, string][] = [];
  const recorder = {
    setHeader: (name: string, value: unknown) => void headers.push([name, String(value)]),
    // X-Powered-By: Fastify never sets it.
    removeHeader: () => undefined,
  };
  helmet(options)({} as IncomingMessage, recorder as unknown as ServerResponse, (error?: unknown) => {
    if (error) throw error instanceof Error ? error : new Error(String(error));
  });
  return headers;
}

/** A Fastify onRequest hook that puts helmet's headers on every answer, errors and 404s included. */
export function securityHeaders(options: HelmetOptions) {
  const headers = helmetHeaders(options);
  return (_request: FastifyRequest, reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    // On the raw response, as helmet itself does: they survive whatever Fastify does with its own headers.
    for (const [name, value] of headers) reply.raw.setHeader(name, value);
    done();
  };
}
