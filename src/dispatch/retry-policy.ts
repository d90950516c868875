import type { SendResult } from '../providers/messenger-provider';

export interface RetryPolicy {
  /** Retries after the first attempt: a message is tried at most 1 + maxRetries times (rate limits aside). */
  readonly maxRetries: number;
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
  /**
   * When a message whose sender account was refused is due again (SENDER_PROBE_INTERVAL_MS): by then the
   * account is probed, and the message waits on while it stays paused. Unset: maxDelayMs.
   */
  readonly accountPausedMs?: number;
}

/** What an attempt leaves a message as. */
export type AttemptOutcome =
  | { readonly status: 'sent'; readonly retriesCount: number; readonly providerMessageId: string }
  | {
      readonly status: 'pending';
      readonly retriesCount: number;
      readonly retryInMs: number;
      readonly code: string;
      readonly description: string;
      /** The messenger asked us to slow down: this attempt cost no retry. */
      readonly rateLimited: boolean;
    }
  | { readonly status: 'failed'; readonly retriesCount: number; readonly code: string; readonly description: string };

/**
 * Delay before retry number `retry` (1 = the first retry): doubling from baseDelayMs, capped at maxDelayMs,
 * with "equal jitter" (half fixed, half random) so that messages failed together don't retry together,
 * yet none retries almost at once.
 */
export function backoffDelayMs(retry: number, policy: RetryPolicy, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** Math.max(0, retry - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/** Decides a message's next state from one attempt's result and the retries it has already spent. */
export function outcomeOf(
  result: SendResult,
  retriesCount: number,
  policy: RetryPolicy,
  random: () => number = Math.random,
): AttemptOutcome {
  switch (result.outcome) {
    case 'sent':
      return { status: 'sent', retriesCount, providerMessageId: result.providerMessageId };
    case 'failed':
      return { status: 'failed', retriesCount, code: result.code, description: result.description };
    case 'account_failed': {
      // The account's credentials were refused, not the message: it waits for the account, spending no retry.
      const { code, description } = result;
      const retryInMs = policy.accountPausedMs ?? policy.maxDelayMs;
      return { status: 'pending', retriesCount, retryInMs, code, description, rateLimited: false };
    }
    case 'retry': {
      const { code, description } = result;
      if (result.rateLimited) {
        // Being told to slow down is not a failed message: wait as long as asked (or a first backoff).
        const retryInMs = result.retryAfterMs ?? backoffDelayMs(1, policy, random);
        return { status: 'pending', retriesCount, retryInMs, code, description, rateLimited: true };
      }
      if (retriesCount >= policy.maxRetries) return { status: 'failed', retriesCount, code, description };
      const retry = retriesCount + 1;
      // Never earlier than the messenger asked for, never sooner than the backoff.
      const retryInMs = Math.max(backoffDelayMs(retry, policy, random), result.retryAfterMs ?? 0);
      return { status: 'pending', retriesCount: retry, retryInMs, code, description, rateLimited: false };
    }
  }
}

/** The code of the failure that a reclaimed message's lost attempt is recorded with. */
export const LEASE_EXPIRED = 'lease_expired';

/**
 * A message claimed again after its lease expired: the worker that held it stopped mid-attempt, and the
 * claim counted that as a retry. Past the cap it fails without another attempt, so a message that kills
 * its worker every time cannot loop forever.
 */
export function outcomeOfExpiredLease(retriesCount: number, policy: RetryPolicy): AttemptOutcome | null {
  if (retriesCount <= policy.maxRetries) return null;
  return {
    status: 'failed',
    retriesCount: policy.maxRetries,
    code: LEASE_EXPIRED,
    description: 'gave up: the worker of the last attempt stopped before recording its outcome (lease expired)',
  };
}
