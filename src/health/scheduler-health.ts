import { CronTime } from 'cron';

/** A worker whose scheduler missed this many ticks in a row is not ready. */
export const MISSED_TICKS_ALLOWED = 3;

/** However often the cron ticks: a GC pause or a busy second must not flip a worker to not ready. */
export const MIN_TICK_AGE_MS = 10_000;

/**
 * The longest wait between two ticks of a cron expression, over its next `firings` firings from `from`.
 * The longest rather than the first: "0 *\/10 9-17 * * *" ticks every 10 minutes, and then not for 15 hours.
 */
export function longestCronGapMs(expression: string, from: Date = new Date(), firings = 10): number {
  const cron = new CronTime(expression);
  let previous = cron.getNextDateFrom(from).toMillis();
  let longest = 0;
  for (let i = 1; i < firings; i++) {
    const next = cron.getNextDateFrom(new Date(previous)).toMillis();
    longest = Math.max(longest, next - previous);
    previous = next;
  }
  return longest;
}

/** How old a scheduler's last tick may be before its worker counts as not ready. */
export function maxTickAgeMs(expression: string, from?: Date): number {
  return Math.max(MIN_TICK_AGE_MS, MISSED_TICKS_ALLOWED * longestCronGapMs(expression, from));
}
