import { longestCronGapMs, maxTickAgeMs } from './scheduler-health';

describe('longestCronGapMs', () => {
  // Local time, as the cron library reads expressions.
  const monday = new Date(2026, 0, 5, 16, 55, 0);

  it.each([
    ['* * * * * *', 1_000],
    ['*/10 * * * * *', 10_000],
    ['0 */5 * * * *', 300_000],
    ['0 0 * * * *', 3_600_000],
    // Every 10 minutes from 09:00 to 17:50: from 16:55 the next ten firings span the night.
    ['0 */10 9-17 * * *', (15 * 60 + 10) * 60_000],
  ])('%s: %d ms', (expression, gap) => {
    expect(longestCronGapMs(expression, monday)).toBe(gap);
  });
});

describe('maxTickAgeMs', () => {
  it.each([
    ['*/10 * * * * *', 30_000],
    ['0 */5 * * * *', 900_000],
    // Three 1-second intervals would flip a worker to not ready on a GC pause: 10 s at least.
    ['* * * * * *', 10_000],
  ])('%s: %d ms', (expression, age) => {
    expect(maxTickAgeMs(expression, new Date(2026, 0, 5, 12, 0, 0))).toBe(age);
  });
});
