import { Injectable, Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { AppConfig } from '../config/app-config';
import { RetentionMetrics } from '../metrics/retention.metrics';
import { RetentionRepository } from './retention.repository';

/** What one run removed. */
export interface RetentionRun {
  readonly messages: number;
  readonly inbox: number;
  /** Dedup records written for removed messages. */
  readonly recordsKept: number;
  /** Dedup records removed by DEDUP_RETENTION. */
  readonly recordsRemoved: number;
  readonly batches: number;
  readonly durationMs: number;
}

/**
 * Keeps the tables from growing forever: removes finished messages older than MESSAGE_RETENTION (keeping
 * a dedup record of each one that dedups) and dedup records older than DEDUP_RETENTION. A run removes
 * batch after batch until a batch comes back short, pausing between them (RETENTION_PAUSE_MS) so that
 * the dispatcher's statements get the database in between. Several workers may run at once: their
 * batches take disjoint rows (see RetentionRepository).
 */
@Injectable()
export class RetentionService {
  private readonly logger = new Logger(RetentionService.name);
  private stopping = false;

  constructor(
    private readonly repository: RetentionRepository,
    private readonly config: AppConfig,
    private readonly metrics: RetentionMetrics,
  ) {}

  /** Whether there is anything to do: either setting is set. */
  get enabled(): boolean {
    return this.config.messageRetentionSeconds !== undefined || this.config.dedupRetentionSeconds !== undefined;
  }

  async run(): Promise<RetentionRun> {
    const started = Date.now();
    const limit = this.config.RETENTION_BATCH_SIZE;
    let messages = 0;
    let inbox = 0;
    let recordsKept = 0;
    let recordsRemoved = 0;
    let batches = 0;
    const messageRetention = this.config.messageRetentionSeconds;
    if (messageRetention !== undefined) {
      for (let full = true; full && !this.stopping;) {
        if (batches > 0) await sleep(this.config.RETENTION_PAUSE_MS);
        const batch = await this.repository.removeExpiredMessages(messageRetention, limit);
        batches++;
        messages += batch.messages;
        inbox += batch.inbox;
        recordsKept += batch.records;
        this.metrics.removedRows('messages', batch.messages);
        this.metrics.removedRows('emulator_inbox', batch.inbox);
        full = batch.messages === limit;
      }
    }
    const dedupRetention = this.config.dedupRetentionSeconds;
    if (dedupRetention !== undefined) {
      for (let full = true; full && !this.stopping;) {
        if (batches > 0) await sleep(this.config.RETENTION_PAUSE_MS);
        const removed = await this.repository.removeExpiredRecords(dedupRetention, limit);
        batches++;
        recordsRemoved += removed;
        this.metrics.removedRows('dedup_records', removed);
        full = removed === limit;
      }
    }
    this.metrics.runFinished();
    const run = { messages, inbox, recordsKept, recordsRemoved, batches, durationMs: Date.now() - started };
    // Counts only: no ids, recipients or bodies.
    if (messages + recordsRemoved > 0) this.logger.log({ event: 'retention_run', ...run });
    return run;
  }

  /** Ends a run in progress after its current batch. */
  stop(): void {
    this.stopping = true;
  }
}
