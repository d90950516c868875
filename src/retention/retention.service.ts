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
 * batch after batch until a batch comes back short, pausing between them (see pause()) so that the
 * dispatcher's statements get the database in between. Several workers may run at once: their
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
    let lastBatchMs = 0;
    /** Runs `remove` batch after batch until one comes back short (fewer than `limit` rows). */
    const drain = async (remove: () => Promise<number>) => {
      for (let full = true; full && !this.stopping;) {
        if (batches > 0) await this.pause(lastBatchMs);
        const batchStarted = Date.now();
        const removed = await remove();
        lastBatchMs = Date.now() - batchStarted;
        batches++;
        full = removed === limit;
      }
    };
    const messageRetention = this.config.messageRetentionSeconds;
    if (messageRetention !== undefined) {
      await drain(async () => {
        const batch = await this.repository.removeExpiredMessages(messageRetention, limit);
        messages += batch.messages;
        inbox += batch.inbox;
        recordsKept += batch.records;
        this.metrics.removedRows('messages', batch.messages);
        this.metrics.removedRows('emulator_inbox', batch.inbox);
        return batch.messages;
      });
    }
    const dedupRetention = this.config.dedupRetentionSeconds;
    if (dedupRetention !== undefined) {
      await drain(async () => {
        const removed = await this.repository.removeExpiredRecords(dedupRetention, limit);
        recordsRemoved += removed;
        this.metrics.removedRows('dedup_records', removed);
        return removed;
      });
    }
    this.metrics.runFinished();
    const run = { messages, inbox, recordsKept, recordsRemoved, batches, durationMs: Date.now() - started };
    // Counts only: no ids, recipients or bodies.
    if (messages + recordsRemoved > 0) this.logger.log({ event: 'retention_run', ...run });
    return run;
  }

  /**
   * Between two batches: at least RETENTION_PAUSE_MS, and at least as long as the last batch took, so a
   * run holds a connection at most half the time. A loaded database makes batches slower and so the pauses
   * longer: the removal backs off by itself when dispatch needs the database most.
   */
  private pause(lastBatchMs: number): Promise<void> {
    return sleep(Math.max(this.config.RETENTION_PAUSE_MS, lastBatchMs));
  }

  /** Ends a run in progress after its current batch. */
  stop(): void {
    this.stopping = true;
  }
}
