import type { INestApplicationContext } from '@nestjs/common';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { fastify } from 'fastify';
import { MetricsService } from '../metrics/metrics.service';
import type { HealthAnswer } from './health.service';
import { HealthService } from './health.service';

/**
 * A worker has no API, yet an orchestrator must probe it and Prometheus scrape it: this listener serves
 * /health/live, /health/ready and /metrics, and nothing else, on HEALTH_PORT.
 */
export async function listenForProbes(
  app: INestApplicationContext,
  port: number,
  host: string,
): Promise<FastifyInstance> {
  const health = app.get(HealthService);
  const metrics = app.get(MetricsService);
  const answer = (reply: FastifyReply, { statusCode, body }: HealthAnswer) =>
    reply.status(statusCode).header('cache-control', 'no-store').send(body);

  const server = fastify();
  server.get('/health/live', (_request, reply) => answer(reply, health.live()));
  server.get('/health/ready', async (_request, reply) => answer(reply, await health.ready()));
  server.get('/metrics', async (_request, reply) => {
    const { contentType, body } = await metrics.scrape();
    return reply.type(contentType).send(body);
  });
  await server.listen({ port, host });
  return server;
}
