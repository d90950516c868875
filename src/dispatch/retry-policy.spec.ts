import type { SendResult } from '../providers/messenger-provider';
import type { RetryPolicy } from './retry-policy';
import { backoffDelayMs, outcomeOf, outcomeOfExpiredLease } from './retry-policy';

const policy: RetryPolicy = { maxRetries: 3, baseDelayMs: 1_000, maxDelayMs: 5_000 };
const lowest = () => 0;
const highest = () => 0.999999;

describe('backoffDelayMs', () => {
  it.each([
    // retry, least delay (random 0), most delay (random ~1)
    [1, 500, 1_000],
    [2, 1_000, 2_000],
    [3, 2_000, 4_000],
    [4, 2_500, 5_000], // 8 s capped at maxDelayMs
    [10, 2_500, 5_000],
  ])('retry %i waits between %i and %i ms', (retry, least, most) => {
    expect(backoffDelayMs(retry, policy, lowest)).toBe(least);
    expect(backoffDelayMs(retry, policy, highest)).toBe(most);
  });

  it('spreads messages that failed together', () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelayMs(3, policy)));
    expect(delays.size).toBeGreaterThan(10);
  });
});

describe('outcomeOf', () => {
  const sent: SendResult = { outcome: 'sent', providerMessageId: '42' };
  const transient: SendResult = { outcome: 'retry', code: '502', description: 'Bad Gateway' };
  const permanent: SendResult = { outcome: 'failed', code: '400', description: 'Bad Request: chat not found' };

  it('marks an accepted message sent, keeping the retries it took', () => {
    expect(outcomeOf(sent, 2, policy)).toEqual({ status: 'sent', retriesCount: 2, providerMessageId: '42' });
  });

  it('schedules a transient failure for retry while retries are left, counting it', () => {
    expect(outcomeOf(transient, 0, policy, lowest)).toEqual({
      status: 'pending',
      retriesCount: 1,
      retryInMs: 500,
      code: '502',
      description: 'Bad Gateway',
      rateLimited: false,
    });
    expect(outcomeOf(transient, 2, policy, lowest)).toMatchObject({ status: 'pending', retriesCount: 3 });
  });

  it('fails a transient failure once MAX_RETRIES retries are spent, with retries_count = MAX_RETRIES', () => {
    expect(outcomeOf(transient, 3, policy)).toEqual({
      status: 'failed',
      retriesCount: 3,
      code: '502',
      description: 'Bad Gateway',
    });
  });

  it('keeps a message whose sender account was refused pending, spending no retry even past the cap', () => {
    const refused: SendResult = { outcome: 'account_failed', code: '401', description: 'Unauthorized' };
    const expected = { status: 'pending', code: '401', description: 'Unauthorized', rateLimited: false };
    expect(outcomeOf(refused, 3, { ...policy, accountPausedMs: 30_000 })).toEqual({
      ...expected,
      retriesCount: 3,
      retryInMs: 30_000,
    });
    expect(outcomeOf(refused, 0, policy)).toEqual({ ...expected, retriesCount: 0, retryInMs: policy.maxDelayMs });
  });

  it('fails a permanent failure at once, without spending a retry', () => {
    expect(outcomeOf(permanent, 0, policy)).toEqual({
      status: 'failed',
      retriesCount: 0,
      code: '400',
      description: 'Bad Request: chat not found',
    });
  });

  it('never retries earlier than the messenger asked', () => {
    const unavailable: SendResult = { outcome: 'retry', code: '503', description: 'Unavailable', retryAfterMs: 30_000 };
    expect(outcomeOf(unavailable, 0, policy, highest)).toMatchObject({ retryInMs: 30_000, retriesCount: 1 });
  });

  it('spends no retry when the messenger only asks us to slow down, and waits as long as it asks', () => {
    const slowDown: SendResult = {
      outcome: 'retry',
      code: '429',
      description: 'Too Many Requests: retry after 7',
      rateLimited: true,
      retryAfterMs: 7_000,
    };
    expect(outcomeOf(slowDown, 2, policy)).toEqual({
      status: 'pending',
      retriesCount: 2,
      retryInMs: 7_000,
      code: '429',
      description: 'Too Many Requests: retry after 7',
      rateLimited: true,
    });
  });

  it('keeps a rate-limited message queued even with its retries spent', () => {
    const slowDown: SendResult = { outcome: 'retry', code: '12', description: 'tooManyRequests', rateLimited: true };
    expect(outcomeOf(slowDown, policy.maxRetries, policy, lowest)).toMatchObject({ status: 'pending', retryInMs: 500 });
  });

  it('a tried-once policy (MAX_RETRIES=0) fails on the first transient failure', () => {
    expect(outcomeOf(transient, 0, { ...policy, maxRetries: 0 })).toMatchObject({ status: 'failed', retriesCount: 0 });
  });
});

describe('outcomeOfExpiredLease', () => {
  it('lets a reclaimed message be attempted while the retry it cost is within the cap', () => {
    expect(outcomeOfExpiredLease(1, policy)).toBeNull();
    expect(outcomeOfExpiredLease(3, policy)).toBeNull();
  });

  it('fails a message whose leases keep expiring, so it cannot loop forever', () => {
    expect(outcomeOfExpiredLease(4, policy)).toMatchObject({
      status: 'failed',
      retriesCount: 3,
      code: 'lease_expired',
    });
  });
});
