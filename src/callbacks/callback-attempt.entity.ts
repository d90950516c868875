import { Column, Entity, JoinColumn, ManyToOne, PrimaryColumn } from 'typeorm';
import { CallbackEventEntity } from './callback-event.entity';

/** One attempt to deliver a callback event: written with the event's new state, in one statement. */
@Entity('callback_attempts')
export class CallbackAttemptEntity {
  @PrimaryColumn({ name: 'event_id', type: 'uuid' })
  eventId: string;

  /** callback_events.attempts of the claim that made it: 1 for the first. */
  @PrimaryColumn({ type: 'int' })
  attempt: number;

  @ManyToOne(() => CallbackEventEntity, { onDelete: 'CASCADE' })
  @JoinColumn({ name: 'event_id' })
  event?: CallbackEventEntity;

  @Column({ name: 'attempted_at', type: 'timestamptz' })
  attemptedAt: Date;

  /** The receiver's HTTP status; null when it gave none (refused, timed out, forbidden address). */
  @Column({ name: 'status_code', type: 'int', nullable: true })
  statusCode: number | null;

  /** Why it failed, briefly; null when delivered. */
  @Column({ type: 'text', nullable: true })
  error: string | null;

  @Column({ name: 'latency_ms', type: 'int' })
  latencyMs: number;
}
