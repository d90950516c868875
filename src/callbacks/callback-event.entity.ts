import { Check, Column, CreateDateColumn, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { MessageEntity } from '../messages/message.entity';

/** The events a message's callback_url hears: one for each move into a terminal state. */
export const CALLBACK_EVENT_TYPES = ['message.sent', 'message.failed', 'message.cancelled'] as const;
export type CallbackEventType = (typeof CALLBACK_EVENT_TYPES)[number];

/** pending: still to be delivered (due at next_attempt_at); delivered: a 2xx answered it; dead: past the horizon. */
export const CALLBACK_EVENT_STATES = ['pending', 'delivered', 'dead'] as const;
export type CallbackEventState = (typeof CALLBACK_EVENT_STATES)[number];

const quoted = (values: readonly string[]) => values.map((value) => `'${value}'`).join(', ');

/**
 * The callbacks' outbox: one row per event, written in the statement that moves its message into the
 * terminal state (RECORD_OUTCOMES, CANCEL_PENDING), so an event exists if and only if its move committed.
 * The delivery worker claims due rows like the dispatcher claims messages (CallbacksRepository).
 */
@Entity('callback_events')
@Check('callback_events_type_check', `type IN (${quoted(CALLBACK_EVENT_TYPES)})`)
@Check('callback_events_state_check', `state IN (${quoted(CALLBACK_EVENT_STATES)})`)
// Serves the claim: only events still to be delivered are indexed, so delivered history costs nothing.
@Index('callback_events_due_idx', ['nextAttemptAt'], { where: `state = 'pending'` })
// Serves the per-message order ("is an earlier event of this message still pending?") and GET /messages/:id/callbacks.
@Index('callback_events_message_idx', ['messageId', 'createdAt'])
export class CallbackEventEntity {
  /** Sent as `webhook-id`, the same on every attempt: receivers deduplicate on it. */
  @PrimaryColumn({ type: 'uuid', default: () => 'uuid_v7()' })
  id: string;

  @Column({ name: 'message_id', type: 'uuid' })
  messageId: string;

  @ManyToOne(() => MessageEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'message_id' })
  message?: MessageEntity;

  /** The message's client: whose secrets sign the event. */
  @Column({ type: 'varchar', length: 64 })
  client: string;

  @Column({ type: 'varchar', length: 32 })
  type: CallbackEventType;

  /** The message's callback_url when the event was made. */
  @Column({ type: 'text' })
  url: string;

  /**
   * The message as GET /messages/:id showed it at the move (json, not jsonb: the keys keep GET's order).
   * A snapshot: a failed message retried before its event is delivered still reports its failure.
   */
  @Column({ type: 'json' })
  payload: Record<string, unknown>;

  @Column({ type: 'varchar', length: 16, default: 'pending' })
  state: CallbackEventState;

  /** Attempts started (claims); also the fencing token of the claim that holds the event. */
  @Column({ type: 'int', default: 0 })
  attempts: number;

  /** When it is next due: at once, then after each failure's backoff; while claimed, when the lease runs out. */
  @Column({ name: 'next_attempt_at', type: 'timestamptz', nullable: true, default: () => 'now()' })
  nextAttemptAt: Date | null;

  /** The retry horizon counts from here. */
  @Column({ name: 'first_attempt_at', type: 'timestamptz', nullable: true })
  firstAttemptAt: Date | null;

  /** The event's time: the body's `timestamp`. */
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;
}
