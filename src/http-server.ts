import { FastifyAdapter } from '@nestjs/platform-fastify';
import { parseQueryString } from './common/unicode';
import type { AppConfig } from './config/app-config';

/**
 * The Fastify server under Nest, with the options that must be fixed when the server is made (timeouts,
 * client-error answers). main.ts, the e2e tests and the OpenAPI lint all build the server here, so the
 * tests exercise the server that production runs.
 */
export function createHttpAdapter(_config: AppConfig): FastifyAdapter {
  return new FastifyAdapter({ routerOptions: { querystringParser: parseQueryString } });
}
