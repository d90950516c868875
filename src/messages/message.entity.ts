import { Check, Column, CreateDateColumn, Entity, Index, PrimaryColumn, UpdateDateColumn } from 'typeorm';
import { DEFAULT_CLIENT } from '../auth/api-keys';
import { MESSENGER_NAMES, type MessengerName } from '../providers/messengers';
import {
  MESSAGE_STATUSES,
  NEW_STATUS,
  FINISHED_STATUSES,
  QUEUED_STATUSES,
  statusIn,
  type MessageStatus,
} from './message-status';

/**
 * One body to one recipient on one messenger: the unit that is queued, claimed, retried and delivered.
 * A request to many recipients becomes many rows.
 */
@Entity('messages')
@Check('messages_status_check', statusIn(MESSAGE_STATUSES))
// A new messenger changes this text: its migration recreates the constraint.
@Check('messages_provider_check', `provider IN (${MESSENGER_NAMES.map((name) => `'${name}'`).join(', ')})`)
// Serves the claim, one messenger at a time: only rows that may still need work are indexed, so millions of
// finished rows cost nothing.
@Index('messages_due_idx', ['provider', 'nextAttemptAt'], { where: statusIn(QUEUED_STATUSES) })
// Serves a sender account's claim (each account is paced as a lane of its own). Rows without an account stay
// out of it, so the built-in emulators' traffic pays nothing for it.
@Index('messages_due_lane_idx', ['provider', 'sender', 'nextAttemptAt'], {
  where: `${statusIn(QUEUED_STATUSES)} AND sender IS NOT NULL`,
})
// Serves per-recipient ordering (DISPATCH_ORDERING=per_recipient): "is an earlier one still queued?".
@Index('messages_recipient_queue_idx', ['provider', 'recipient', 'sendAt', 'createdAt'], {
  where: statusIn(QUEUED_STATUSES),
})
// Serves retention: the finished rows, oldest finish first (updated_at is when a finished row finished).
// Only finished rows are in it, so the claim never touches it, and the outcome write adds one entry.
@Index('messages_finished_idx', ['updatedAt'], { where: statusIn(FINISHED_STATUSES) })
// Serves the newest-first listing of one client and its keyset cursor.
@Index('messages_created_idx', ['client', 'createdAt', 'id'])
export class MessageEntity {
  /** UUIDv7, made by the database (migration TimeOrderedMessageIds): time-ordered, so index writes stay local. */
  @PrimaryColumn({ type: 'uuid', default: () => 'uuid_v7()' })
  id: string;

  /** The API client (the name of its key) the message belongs to; only that client's requests see it. */
  @Column({ type: 'varchar', length: 64, default: DEFAULT_CLIENT })
  client: string;

  @Column({ type: 'varchar', length: 16 })
  provider: MessengerName;

  @Column({ type: 'varchar', length: 64 })
  recipient: string;

  @Column({ type: 'text' })
  body: string;

  /**
   * The body's part of the dedup key, computed by the service: sha256 of the body's canonical form
   * (bodyDedupKey), small whatever the body's size. The key itself is in message_keys (MessageKeyEntity).
   */
  @Column({ name: 'body_hash', type: 'bytea', select: false })
  bodyHash: Buffer;

  @Column({ type: 'varchar', length: 16, default: NEW_STATUS })
  status: MessageStatus;

  /** When the caller wants it sent. */
  @Column({ name: 'send_at', type: 'timestamptz' })
  sendAt: Date;

  /**
   * When it is next due: send_at, then the end of the backoff after a failure, or while sending the end
   * of the lease (when another worker may try again). Null once nothing more will be attempted.
   */
  @Column({ name: 'next_attempt_at', type: 'timestamptz', nullable: true })
  nextAttemptAt: Date | null;

  /** Retries spent: failed attempts that were followed by another, plus leases that expired. */
  @Column({ name: 'retries_count', type: 'int', default: 0 })
  retriesCount: number;

  /** Attempts started (claims). Also the fencing token: an outcome is written only by the latest claim. */
  @Column({ type: 'int', default: 0 })
  attempts: number;

  @Column({ name: 'last_error', type: 'text', nullable: true })
  lastError: string | null;

  /** The code of the latest failed attempt: the messenger's ("403", "131047", "5") or ours ("timeout"). */
  @Column({ name: 'last_error_code', type: 'varchar', length: 32, nullable: true })
  lastErrorCode: string | null;

  /**
   * The sender account (its name in SENDERS_FILE) the message goes out with, chosen when it was accepted;
   * null: the built-in emulator.
   */
  @Column({ type: 'text', nullable: true })
  sender: string | null;

  @Column({ name: 'provider_message_id', type: 'varchar', length: 128, nullable: true })
  providerMessageId: string | null;

  /** While sending: when the claim lapses and another worker may take the row. */
  @Column({ name: 'locked_until', type: 'timestamptz', nullable: true })
  lockedUntil: Date | null;

  @Column({ name: 'sent_at', type: 'timestamptz', nullable: true })
  sentAt: Date | null;

  /** Where the terminal states are told (status callbacks); null: nowhere. */
  @Column({ name: 'callback_url', type: 'text', nullable: true })
  callbackUrl: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
