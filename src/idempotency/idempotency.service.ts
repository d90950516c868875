import { Injectable, Logger } from '@nestjs/common';
import { createHash } from 'node:crypto';
import { isDatabaseTimeout } from '../common/database-unavailable';
import { DomainError, DomainErrorCode } from '../common/domain-error';
import { canonicalJson } from './canonical-json';
import { IDEMPOTENCY_KEY_HEADER } from './idempotency-key.decorator';
import { IdempotencyRepository, StoredAnswer } from './idempotency.repository';
import { errorMessage } from '../common/error-message';

/** Keys are kept this long (at least; see the purge in IdempotencyRepository). Stripe keeps them 24 h too. */
export const IDEMPOTENCY_KEY_TTL_SECONDS = 24 * 60 * 60;

/**
 * How long a request may hold its key. Far longer than a request takes (milliseconds), so only a holder
 * that died mid-request (or lost its database) loses its key this way; a retry of the same request then
 * takes the key over. Short, because until then such a retry is answered 409.
 */
export const IDEMPOTENCY_LEASE_SECONDS = 10;

/** The Retry-After of a 409 for a key in flight: the request holding it normally ends within a second. */
export const IN_FLIGHT_RETRY_AFTER_SECONDS = 1;

/** The answer to an idempotent request, and whether it is the stored answer of an earlier one. */
export interface IdempotentAnswer<T> extends StoredAnswer {
  readonly body: T;
  readonly replayed: boolean;
}

/** One request, as the key remembers it: what it does and what it was asked. */
export interface IdempotentRequest {
  /** e.g. "POST /messages": the same key on another operation is another request. */
  readonly operation: string;
  /** The request after validation, so that key order, whitespace and normalised fields don't matter. */
  readonly payload: unknown;
}

/**
 * Runs a request once per Idempotency-Key of a client (the Stripe convention): the first request with a key
 * runs and its answer is stored; a retry with the same key and the same request gets that answer again;
 * the same key with another request is refused (422); a retry while the first still runs is told to wait
 * (409 with Retry-After). Only successful answers are stored: a request that fails gives its key back, so
 * the client's retry runs it again.
 */
@Injectable()
export class IdempotencyService {
  private readonly logger = new Logger(IdempotencyService.name);

  constructor(private readonly keys: IdempotencyRepository) {}

  /** Runs `handler` under the client's `key`; without a key it simply runs it. */
  async run<T>(
    client: string,
    key: string | undefined,
    request: IdempotentRequest,
    handler: () => Promise<{ readonly status: number; readonly body: T }>,
  ): Promise<IdempotentAnswer<T>> {
    if (key === undefined) return { ...(await handler()), replayed: false };

    const requestHash = createHash('sha256')
      .update(`${request.operation}\n${canonicalJson(request.payload)}`)
      .digest();
    const claim = await this.claimOrReplay<T>(client, key, requestHash);
    if ('replay' in claim) return claim.replay;
    const { claimToken } = claim;

    try {
      const answer = await handler();
      if (!(await this.keys.complete(client, key, claimToken, answer))) {
        this.logger.warn(
          `Idempotency-Key ${JSON.stringify(key)}: held past its lease and taken over; its answer was not stored`,
        );
      }
      return { ...answer, replayed: false };
    } catch (error) {
      // If the database is what failed, this fails too, and the key stays in flight until its lease ends.
      const released = this.keys
        .release(client, key, claimToken)
        .catch((releaseError: unknown) =>
          this.logger.warn(
            `Idempotency-Key ${JSON.stringify(key)} stays in flight for up to ${IDEMPOTENCY_LEASE_SECONDS} s: ` +
              `it could not be released (${errorMessage(releaseError)})`,
          ),
        );
      // A database that did not answer in time would most likely keep the release waiting as long again:
      // the answer (a 503) goes at once then, so that it comes within the documented bound.
      if (!isDatabaseTimeout(error)) await released;
      throw error;
    }
  }

  /** This request now holds the key, or an earlier one's answer is to be replayed; else a DomainError. */
  private async claimOrReplay<T>(
    client: string,
    key: string,
    requestHash: Buffer,
  ): Promise<{ readonly claimToken: string } | { readonly replay: IdempotentAnswer<T> }> {
    // The row met on conflict can vanish before we read it (its holder failed and released it, or it
    // expired and was purged): the key is free again then, so claim again. Twice settles any real race.
    for (let round = 0; round < 3; round++) {
      const claimToken = await this.keys.claim({
        client,
        key,
        requestHash,
        leaseSeconds: IDEMPOTENCY_LEASE_SECONDS,
        ttlSeconds: IDEMPOTENCY_KEY_TTL_SECONDS,
      });
      if (claimToken) return { claimToken };
      const held = await this.keys.getByKey(client, key);
      if (!held) continue;
      if (!held.requestHash.equals(requestHash)) {
        throw new DomainError(
          DomainErrorCode.IdempotencyKeyReused,
          'This Idempotency-Key was already used with a different request; use a new key for a new request',
          { field: IDEMPOTENCY_KEY_HEADER },
        );
      }
      if (held.status === 'completed') {
        return { replay: { status: held.responseStatus!, body: held.responseBody as T, replayed: true } };
      }
      throw new DomainError(
        DomainErrorCode.IdempotencyKeyInFlight,
        `A request with this Idempotency-Key is still in progress; try again in ${IN_FLIGHT_RETRY_AFTER_SECONDS} s`,
        { field: IDEMPOTENCY_KEY_HEADER, retryAfterSeconds: IN_FLIGHT_RETRY_AFTER_SECONDS },
      );
    }
    throw new Error(`Idempotency-Key ${JSON.stringify(key)}: could neither claim nor read it`);
  }
}
