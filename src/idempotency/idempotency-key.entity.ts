import { DEFAULT_CLIENT } from '../auth/api-keys';
import { Check, Column, CreateDateColumn, Entity, Index, PrimaryColumn } from 'typeorm';

export const IDEMPOTENCY_KEY_STATUSES = ['in_flight', 'completed'] as const;
/** in_flight: a request holds the key and is running; completed: its answer is stored for replays. */
export type IdempotencyKeyStatus = (typeof IDEMPOTENCY_KEY_STATUSES)[number];

/**
 * An Idempotency-Key a client sent, the request it came with, and once that request succeeded, the answer
 * it got, so that a retry with the same key gets the same answer instead of running again.
 */
@Entity('idempotency_keys')
@Check('idempotency_keys_status_check', `status IN ('in_flight', 'completed')`)
// Serves the purge of expired keys that runs with every claim.
@Index('idempotency_keys_expires_idx', ['expiresAt'])
export class IdempotencyKeyEntity {
  /** The API client that sent the key: clients choose keys independently, so one client's can't block another's. */
  @PrimaryColumn({ type: 'varchar', length: 64, default: DEFAULT_CLIENT })
  client: string;

  /** The header's value, as sent: printable ASCII, at most 255 characters. */
  @PrimaryColumn({ type: 'varchar', length: 255 })
  key: string;

  /** sha256 of the operation and its validated request (canonical JSON): "same request" means same hash. */
  @Column({ name: 'request_hash', type: 'bytea' })
  requestHash: Buffer;

  @Column({ type: 'varchar', length: 16 })
  status: IdempotencyKeyStatus;

  /**
   * Which request holds the key: a new one each time the key is claimed. Only the holder may store its
   * answer or release the key, so a request whose lease ran out (and whose key was taken over) can't.
   */
  @Column({ name: 'claim_token', type: 'uuid' })
  claimToken: string;

  /** While in flight: when the holder counts as gone (crashed) and a retry of the same request may take over. */
  @Column({ name: 'locked_until', type: 'timestamptz', nullable: true })
  lockedUntil: Date | null;

  @Column({ name: 'response_status', type: 'int', nullable: true })
  responseStatus: number | null;

  /**
   * The answer's body. json rather than jsonb: json keeps the text as it was written, key order included,
   * so a replay is byte for byte the original answer.
   */
  @Column({ name: 'response_body', type: 'json', nullable: true })
  responseBody: unknown;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  /** From then on the key is forgotten: it may be purged, and a request that brings it again is new. */
  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt: Date;
}
