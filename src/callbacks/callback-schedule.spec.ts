import type { CallbackSchedule } from './callback-schedule';
import { DEFAULT_CALLBACK_SCHEDULE, nextAttemptDelay } from './callback-schedule';

const lowest = () => 0;
const highest = () => 1 - Number.EPSILON; // Math.random's largest
const start = new Date('2026-01-01T00:00:00Z');
const at = (ms: number) => new Date(start.getTime() + ms);
const SECOND = 1_000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;

/** Every attempt's time, from the first, for a receiver that never answers. */
function attemptTimes(schedule: CallbackSchedule, random: () => number): number[] {
  const times = [0];
  for (;;) {
    const delay = nextAttemptDelay(times.length, start, at(times[times.length - 1]), schedule, random);
    if (delay === 'dead') return times;
    times.push(times[times.length - 1] + delay);
    if (times.length > 10_000) throw new Error('the schedule never ends');
  }
}

describe('nextAttemptDelay with the default schedule', () => {
  it.each([
    // failed attempt, least delay (random 0), most delay (random ~1)
    [1, 2_500, 5_000],
    [2, 7_500, 15_000],
    [3, 22_500, 45_000],
    [4, 67_500, 135_000],
    [5, 202_500, 405_000],
    [6, 607_500, 1_215_000],
    [7, 1_800_000, 3_600_000], // 3,645 s capped at an hour
    [30, 1_800_000, 3_600_000],
  ])('after attempt %i waits between %i and %i ms', (attempt, least, most) => {
    expect(nextAttemptDelay(attempt, start, at(SECOND), DEFAULT_CALLBACK_SCHEDULE, lowest)).toBe(least);
    expect(nextAttemptDelay(attempt, start, at(SECOND), DEFAULT_CALLBACK_SCHEDULE, highest)).toBe(most);
  });

  it('retries the first failure within a few seconds', () => {
    expect(nextAttemptDelay(1, start, start, DEFAULT_CALLBACK_SCHEDULE)).toBeLessThanOrEqual(5 * SECOND);
  });

  it('gives up 24 hours after the first attempt, however few attempts were made', () => {
    expect(nextAttemptDelay(3, start, at(24 * HOUR), DEFAULT_CALLBACK_SCHEDULE)).toBe('dead');
    expect(nextAttemptDelay(1, start, at(25 * HOUR), DEFAULT_CALLBACK_SCHEDULE)).toBe('dead');
  });

  it('makes the last attempt on the horizon itself rather than skip the time left', () => {
    expect(nextAttemptDelay(20, start, at(24 * HOUR - 10 * MINUTE), DEFAULT_CALLBACK_SCHEDULE, highest)).toBe(
      10 * MINUTE,
    );
  });

  it.each([
    ['shortest', lowest],
    ['longest', highest],
  ])(
    'tries a receiver that never answers for 24 hours, 30 to 55 times, at most an hour apart (%s waits)',
    (_waits, random) => {
      const times = attemptTimes(DEFAULT_CALLBACK_SCHEDULE, random);
      expect(times[times.length - 1]).toBe(24 * HOUR);
      expect(times.length).toBeGreaterThanOrEqual(30);
      expect(times.length).toBeLessThanOrEqual(55);
      const gaps = times.slice(1).map((time, i) => time - times[i]);
      expect(Math.max(...gaps)).toBeLessThanOrEqual(HOUR);
    },
  );

  it('spreads events that failed together', () => {
    const delays = new Set(
      Array.from({ length: 50 }, () => nextAttemptDelay(5, start, at(MINUTE), DEFAULT_CALLBACK_SCHEDULE)),
    );
    expect(delays.size).toBeGreaterThan(10);
  });
});

describe('nextAttemptDelay with a compressed schedule (tests)', () => {
  // An hour's outage and a day's horizon, in seconds.
  const fast: CallbackSchedule = { baseDelayMs: 50, factor: 2, maxDelayMs: 400, horizonMs: 5_000 };

  it.each([
    [1, 25, 50],
    [2, 50, 100],
    [3, 100, 200],
    [4, 200, 400],
    [5, 200, 400],
  ])('after attempt %i waits between %i and %i ms', (attempt, least, most) => {
    expect(nextAttemptDelay(attempt, start, start, fast, lowest)).toBe(least);
    expect(nextAttemptDelay(attempt, start, start, fast, highest)).toBe(most);
  });

  it('ends at its horizon, having retried a dead receiver a bounded number of times', () => {
    const times = attemptTimes(fast, highest);
    expect(times[times.length - 1]).toBe(5_000);
    expect(times.length).toBeLessThan(30);
    expect(nextAttemptDelay(times.length, start, at(5_000), fast)).toBe('dead');
  });
});
