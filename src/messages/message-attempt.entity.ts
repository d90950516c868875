import { Check, Column, Entity, PrimaryColumn } from 'typeorm';

export const ATTEMPT_OUTCOMES = ['sent', 'retry', 'rate_limited', 'failed', 'lost'] as const;
/**
 * sent / failed: the messenger accepted or refused it for good; retry: a transient failure that cost a
 * retry; rate_limited: the messenger asked us to slow down (no retry spent); lost: the worker stopped
 * mid-attempt and its lease ran out, so what the messenger did is unknown.
 */
export type AttemptOutcomeName = (typeof ATTEMPT_OUTCOMES)[number];

/**
 * One attempt to deliver a message: written in the same statement as the outcome it led to. No foreign
 * key: the statement writes only attempts of messages that exist, and retention deletes them with their
 * message (migration AttemptsWithoutForeignKey says why).
 */
@Entity('message_attempts')
@Check('message_attempts_outcome_check', `outcome IN ('sent', 'retry', 'rate_limited', 'failed', 'lost')`)
export class MessageAttemptEntity {
  @PrimaryColumn({ name: 'message_id', type: 'uuid' })
  messageId: string;

  /** 1 for the first attempt; equals messages.attempts for the latest. */
  @PrimaryColumn({ type: 'int' })
  attempt: number;

  /** Null for a lost attempt: its worker never reported back. */
  @Column({ name: 'started_at', type: 'timestamptz', nullable: true })
  startedAt: Date | null;

  @Column({ name: 'latency_ms', type: 'int', nullable: true })
  latencyMs: number | null;

  @Column({ type: 'varchar', length: 16 })
  outcome: AttemptOutcomeName;

  /** The messenger's code ("429", "131026", "5") or ours ("timeout", "lease_expired"). */
  @Column({ type: 'varchar', length: 32, nullable: true })
  code: string | null;

  @Column({ type: 'text', nullable: true })
  description: string | null;

  @Column({ name: 'provider_message_id', type: 'varchar', length: 128, nullable: true })
  providerMessageId: string | null;
}
