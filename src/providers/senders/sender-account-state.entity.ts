import { Column, Entity, PrimaryColumn, UpdateDateColumn } from 'typeorm';

/**
 * A sender account's health as every worker sees it: whether its credentials were refused (paused), and when
 * the next probe of it may go. A row exists only for an account that has been paused at least once.
 */
@Entity('sender_accounts_state')
export class SenderAccountStateEntity {
  /** The account's name in SENDERS_FILE: what messages record as their sender. */
  @PrimaryColumn({ type: 'varchar', length: 64 })
  name: string;

  /** true: the messenger refused its credentials; its messages wait, but for one probe at a time. */
  @Column({ type: 'boolean', default: false })
  paused: boolean;

  /** The refusal's code, as its messages show it in last_error_code. */
  @Column({ name: 'last_error_code', type: 'varchar', length: 32, nullable: true })
  lastErrorCode: string | null;

  /** When a worker may next try one of its messages while it is paused. */
  @Column({ name: 'next_probe_at', type: 'timestamptz', nullable: true })
  nextProbeAt: Date | null;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
