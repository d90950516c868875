import { Injectable } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Counter, Histogram, Registry } from 'prom-client';

/** The label of a request that matched no route: raw URLs would make a series per probe of a scanner. */
export const UNMATCHED_ROUTE = 'unmatched';

/** The route's pattern (`/messages/:id`), never the URL itself, so the label's values are as few as the routes. */
export function routeLabel(request: Pick<FastifyRequest, 'routeOptions'>): string {
  return request.routeOptions.url ?? UNMATCHED_ROUTE;
}

/** Requests by route and status, and how long they took; fed by a Fastify onResponse hook (http-app.ts). */
@Injectable()
export class HttpMetrics {
  private readonly requests: Counter<'method' | 'route' | 'status'>;
  private readonly duration: Histogram<'method' | 'route'>;

  constructor(registry: Registry) {
    this.requests = new Counter({
      name: 'http_requests_total',
      help: 'HTTP requests answered, by method, route pattern and status',
      labelNames: ['method', 'route', 'status'],
      registers: [registry],
    });
    this.duration = new Histogram({
      name: 'http_request_duration_seconds',
      help: 'Time to answer an HTTP request, by method and route pattern',
      labelNames: ['method', 'route'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
  }

  observe(request: FastifyRequest, reply: FastifyReply): void {
    const route = routeLabel(request);
    this.requests.labels(request.method, route, String(reply.statusCode)).inc();
    this.duration.labels(request.method, route).observe(reply.elapsedTime / 1000);
  }
}
