import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';

/**
 * What an emulated messenger accepted: one row per delivery, as the messenger side sees it, so that
 * "delivered exactly once" is checked from the receiving end rather than from our own status rows.
 * Deliberately no unique constraint on the key: a duplicate delivery must be visible, not refused.
 */
@Entity('emulator_inbox')
@Index('emulator_inbox_key_idx', ['provider', 'idempotencyKey'])
@Index('emulator_inbox_recipient_idx', ['provider', 'recipient', 'acceptedAt'])
// On (provider, inbox_message_id(idempotency_key)), an expression TypeORM cannot describe: see InboxByMessage1795880000000.
@Index('emulator_inbox_message_idx', { synchronize: false })
export class EmulatorInboxEntity {
  @PrimaryGeneratedColumn('increment', { type: 'bigint' })
  id: string;

  @Column({ type: 'varchar', length: 16 })
  provider: string;

  /** The idempotency key the send carried: our message id. None on a client team's own request to the emulator server. */
  @Column({ name: 'idempotency_key', type: 'varchar', length: 64, nullable: true })
  idempotencyKey: string | null;

  @Column({ type: 'varchar', length: 64 })
  recipient: string;

  @Column({ type: 'text' })
  body: string;

  @Column({ name: 'provider_message_id', type: 'varchar', length: 128 })
  providerMessageId: string;

  @Column({ name: 'accepted_at', type: 'timestamptz', default: () => 'clock_timestamp()' })
  acceptedAt: Date;
}
