import { Injectable } from '@nestjs/common';
import { Counter, Gauge, Registry } from 'prom-client';

/** The tables retention removes rows from. */
export const RETENTION_TABLES = ['messages', 'emulator_inbox', 'dedup_records'] as const;
export type RetentionTable = (typeof RETENTION_TABLES)[number];

/** What retention removed, and when it last ran (src/retention). In-process, like DispatchMetrics. */
@Injectable()
export class RetentionMetrics {
  private readonly removed: Record<RetentionTable, Counter.Internal>;
  private readonly lastRun: Gauge;

  constructor(registry: Registry) {
    const removed = new Counter({
      name: 'retention_rows_removed_total',
      help: "Rows retention removed, by table (a message's attempts and callbacks go with it and are not counted apart)",
      labelNames: ['table'],
      registers: [registry],
    });
    this.removed = Object.fromEntries(
      RETENTION_TABLES.map((table) => [table, removed.labels(table)]),
    ) as RetentionMetrics['removed'];
    for (const child of Object.values(this.removed)) child.inc(0);
    this.lastRun = new Gauge({
      name: 'retention_last_run_timestamp_seconds',
      help: 'When retention last finished a run (Unix time); 0 if it never has in this process',
      registers: [registry],
    });
  }

  removedRows(table: RetentionTable, count: number): void {
    if (count > 0) this.removed[table].inc(count);
  }

  runFinished(now = Date.now()): void {
    this.lastRun.set(now / 1000);
  }
}
