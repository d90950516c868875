import { Injectable } from '@nestjs/common';
import { InjectDataSource, InjectRepository } from '@nestjs/typeorm';
import { DataSource, Repository } from 'typeorm';
import { queryRows } from '../database/raw-sql';
import { IdempotencyKeyEntity } from './idempotency-key.entity';

export interface KeyClaim {
  /** Keys are per client: two clients may use the same key for different requests. */
  readonly client: string;
  readonly key: string;
  readonly requestHash: Buffer;
  /** How long the request may hold the key before it counts as gone. */
  readonly leaseSeconds: number;
  /** How long the key (and its stored answer) is kept. */
  readonly ttlSeconds: number;
}

export interface StoredAnswer {
  readonly status: number;
  readonly body: unknown;
}

/**
 * Takes a key for one request, in one statement. The primary key decides between concurrent requests:
 * exactly one INSERT goes in, and the others meet the conflict and get no row back. The conflict turns
 * into a takeover only for a key that is as good as absent: expired, or left in flight by a holder whose
 * lease ran out (a crashed process), and then only by the same request. The takeover locks the row, so
 * concurrent takers re-read it after the first and find it held. With every claim, a few expired keys
 * are purged (at most 100, skipping any another request is touching): a claim adds at most one key and
 * may remove a hundred, so the table stays at about one TTL's worth of keys without a cron.
 */
const CLAIM = `
  WITH purged AS (
    DELETE FROM idempotency_keys
    WHERE (client, key) IN (SELECT client, key FROM idempotency_keys
                            WHERE expires_at < now() AND (client, key) <> ($5, $1)
                            ORDER BY expires_at
                            LIMIT 100
                            FOR UPDATE SKIP LOCKED)
  )
  INSERT INTO idempotency_keys AS k (client, key, request_hash, status, claim_token, locked_until, expires_at)
  VALUES ($5, $1, $2, 'in_flight', gen_random_uuid(), now() + make_interval(secs => $3), now() + make_interval(secs => $4))
  ON CONFLICT (client, key) DO UPDATE
  SET request_hash = EXCLUDED.request_hash,
      status = 'in_flight',
      claim_token = EXCLUDED.claim_token,
      locked_until = EXCLUDED.locked_until,
      response_status = NULL,
      response_body = NULL,
      created_at = now(),
      expires_at = EXCLUDED.expires_at
  WHERE k.expires_at < now()
     OR (k.status = 'in_flight' AND k.locked_until < now() AND k.request_hash = EXCLUDED.request_hash)
  RETURNING claim_token`;

/** Stores the answer, only while this claim still holds the key. */
const COMPLETE = `
  UPDATE idempotency_keys
  SET status = 'completed', response_status = $3, response_body = $4, locked_until = NULL
  WHERE client = $5 AND key = $1 AND claim_token = $2 AND status = 'in_flight'
  RETURNING key`;

/** Gives the key back (the request failed), only while this claim still holds it. */
const RELEASE = `
  DELETE FROM idempotency_keys
  WHERE client = $3 AND key = $1 AND claim_token = $2 AND status = 'in_flight'
  RETURNING key`;

@Injectable()
export class IdempotencyRepository {
  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    @InjectRepository(IdempotencyKeyEntity) private readonly keys: Repository<IdempotencyKeyEntity>,
  ) {}

  /** The claim token when this request now holds the key; null when another request has it. */
  async claim({ client, key, requestHash, leaseSeconds, ttlSeconds }: KeyClaim): Promise<string | null> {
    const [row] = await queryRows<{ claim_token: string }>(this.dataSource.manager, CLAIM, [
      key,
      requestHash,
      leaseSeconds,
      ttlSeconds,
      client,
    ]);
    return row?.claim_token ?? null;
  }

  getByKey(client: string, key: string): Promise<IdempotencyKeyEntity | null> {
    return this.keys.findOneBy({ client, key });
  }

  /** false: the claim had lapsed and the key was taken over; the answer was not stored. */
  async complete(client: string, key: string, claimToken: string, answer: StoredAnswer): Promise<boolean> {
    const rows = await queryRows(this.dataSource.manager, COMPLETE, [
      key,
      claimToken,
      answer.status,
      JSON.stringify(answer.body),
      client,
    ]);
    return rows.length > 0;
  }

  /** false: the claim had lapsed and the key was taken over; it was left alone. */
  async release(client: string, key: string, claimToken: string): Promise<boolean> {
    return (await queryRows(this.dataSource.manager, RELEASE, [key, claimToken, client])).length > 0;
  }
}
