import { Column, Entity, Index } from 'typeorm';
import { DedupKey } from '../messages/message-key.entity';

/**
 * What is left of a removed message for deduplication (src/retention): the dedup key it held in
 * message_keys (client, provider, recipient, body key) and what a duplicate answer shows of it. Never
 * the body. Written by retention in the statement that removes the message; read by the ingest statement
 * (STORE_NEW), which refuses the same text as if the message were still there. Only messages that dedup
 * (sent, failed) leave one: a cancelled message never blocked its text.
 */
@Entity('dedup_records')
// DEDUP_RETENTION: the oldest records first.
@Index('dedup_records_finished_idx', ['finishedAt'])
export class DedupRecordEntity extends DedupKey {
  @Column({ name: 'message_id', type: 'uuid' })
  messageId: string;

  @Column({ name: 'send_at', type: 'timestamptz' })
  sendAt: Date;

  @Column({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  /** When the message finished (its updated_at); DEDUP_RETENTION counts from here. */
  @Column({ name: 'finished_at', type: 'timestamptz' })
  finishedAt: Date;

  @Column({ type: 'int' })
  attempts: number;

  @Column({ name: 'retries_count', type: 'int' })
  retriesCount: number;

  @Column({ type: 'varchar', length: 16 })
  status: string;
}
