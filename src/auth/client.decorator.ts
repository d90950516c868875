import type { ExecutionContext } from '@nestjs/common';
import { createParamDecorator } from '@nestjs/common';

const CLIENT = Symbol('apiClient');

interface WithClient {
  [CLIENT]?: string;
}

/** Records who sent the request; ApiKeyGuard calls it once the key checks out. */
export function setClientOf(request: object, client: string): void {
  (request as WithClient)[CLIENT] = client;
}

/** The client ApiKeyGuard found for the request. */
export function clientOf(request: object): string {
  const client = (request as WithClient)[CLIENT];
  // Only a route marked @Public() gets here without one, and such a route has no client to ask for.
  if (client === undefined) throw new Error('No API client on this request: is the route @Public()?');
  return client;
}

/** The caller's client: the name of its API key, or "default" in open mode. */
export const Client = createParamDecorator((_: unknown, context: ExecutionContext): string =>
  clientOf(context.switchToHttp().getRequest<object>()),
);
