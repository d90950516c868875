import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/**
 * A recipient of a lane still inside its messenger's per-recipient interval (a second per chat, or
 * several, as each definition documents), shared by the workers as the lane's slots are. Rows whose time has passed mean nothing and are
 * deleted a few at a time by the claims (the index on free_at finds them).
 */
@Entity('dispatch_recipients')
@Index('dispatch_recipients_free_at_idx', ['provider', 'sender', 'freeAt'])
export class DispatchRecipientEntity {
  @PrimaryColumn({ type: 'varchar', length: 16, primaryKeyConstraintName: 'dispatch_recipients_pkey' })
  provider: string;

  @PrimaryColumn({ type: 'text', primaryKeyConstraintName: 'dispatch_recipients_pkey' })
  sender: string;

  @PrimaryColumn({ type: 'varchar', length: 64, primaryKeyConstraintName: 'dispatch_recipients_pkey' })
  recipient: string;

  /** The recipient's next message may go at or after this. */
  @Column({ name: 'free_at', type: 'timestamptz' })
  freeAt: Date;
}
