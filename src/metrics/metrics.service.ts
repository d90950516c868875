import { Injectable } from '@nestjs/common';
import { Registry } from 'prom-client';
import { QueueMetrics } from './queue.metrics';

export interface Scrape {
  readonly contentType: string;
  readonly body: string;
}

/** What GET /metrics answers, in the api process and on a worker's HEALTH_PORT alike. */
@Injectable()
export class MetricsService {
  constructor(
    private readonly registry: Registry,
    private readonly queue: QueueMetrics,
  ) {}

  async scrape(): Promise<Scrape> {
    await this.queue.refresh();
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
