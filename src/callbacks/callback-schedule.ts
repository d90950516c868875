export interface CallbackSchedule {
  /** The delay ceiling before the first retry; each later one is `factor` times the one before. */
  readonly baseDelayMs: number;
  readonly factor: number;
  /** No retry waits longer than this, however many came before. */
  readonly maxDelayMs: number;
  /** How long after its first attempt an event is still tried; after that it is dead. */
  readonly horizonMs: number;
}

/**
 * First retry within 5 s, then within 15 s, 45 s, … up to an hour between attempts, for 24 hours: 31 to
 * 55 attempts (jitter decides) for a receiver that never answers, and one that comes back hears again
 * within the hour.
 */
export const DEFAULT_CALLBACK_SCHEDULE: CallbackSchedule = {
  baseDelayMs: 5_000,
  factor: 3,
  maxDelayMs: 60 * 60_000,
  horizonMs: 24 * 60 * 60_000,
};

/**
 * How long to wait after failed attempt number `attempt` (1 = the first attempt) before the next, or
 * 'dead' once the horizon has passed. The ceiling grows by `factor` up to maxDelayMs, with "equal jitter"
 * (half fixed, half random, as for messages) so that events failed together don't retry together. The
 * last retry is pulled in to fall on the horizon itself, so a receiver back just before it still hears.
 */
export function nextAttemptDelay(
  attempt: number,
  firstAttemptAt: Date,
  now: Date,
  schedule: CallbackSchedule,
  random: () => number = Math.random,
): number | 'dead' {
  const left = firstAttemptAt.getTime() + schedule.horizonMs - now.getTime();
  if (left <= 0) return 'dead';
  const ceiling = Math.min(schedule.maxDelayMs, schedule.baseDelayMs * schedule.factor ** Math.max(0, attempt - 1));
  return Math.min(left, Math.round(ceiling / 2 + (random() * ceiling) / 2));
}
