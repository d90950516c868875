import { Global, Module } from '@nestjs/common';
import { collectDefaultMetrics, Registry } from 'prom-client';
import { CallbackMetrics } from './callback.metrics';
import { DispatchMetrics } from './dispatch.metrics';
import { HttpMetrics } from './http.metrics';
import { MetricsController } from './metrics.controller';
import { MetricsRepository } from './metrics.repository';
import { MetricsService } from './metrics.service';
import { QueueMetrics } from './queue.metrics';
import { RetentionMetrics } from './retention.metrics';

/**
 * Prometheus metrics. Each app gets a registry of its own (not prom-client's global one), so that two apps
 * in one process (the e2e tests) never share or double-register a metric. Global: the dispatcher, the
 * messages API and the HTTP hook all record into it.
 */
@Global()
@Module({
  controllers: [MetricsController],
  providers: [
    {
      provide: Registry,
      useFactory: () => {
        const registry = new Registry();
        // CPU, memory, event loop lag, GC and handles of the process, under their usual names.
        collectDefaultMetrics({ register: registry });
        return registry;
      },
    },
    CallbackMetrics,
    DispatchMetrics,
    HttpMetrics,
    MetricsRepository,
    MetricsService,
    QueueMetrics,
    RetentionMetrics,
  ],
  exports: [CallbackMetrics, DispatchMetrics, HttpMetrics, MetricsService, RetentionMetrics],
})
export class MetricsModule {}
