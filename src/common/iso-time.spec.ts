import { formatLatest, isoTime } from './iso-time';

describe('isoTime', () => {
  it('answers what toISOString answers, for repeated and changing instants alike', () => {
    const times = [0, 0, 1_764_000_000_123, 1_764_000_000_123, 1_764_000_000_124, 0, -1];
    expect(times.map(isoTime)).toEqual(times.map((time) => new Date(time).toISOString()));
  });

  it('throws for an invalid time, as toISOString does', () => {
    expect(() => isoTime(NaN)).toThrow(RangeError);
  });
});

describe('formatLatest', () => {
  it('formats an instant once while it is asked for in a row, and again once another came between', () => {
    const format = jest.fn((time: number) => `t${time}`);
    const latest = formatLatest(format);
    expect([5, 5, 5, 6, 5].map(latest)).toEqual(['t5', 't5', 't5', 't6', 't5']);
    expect(format.mock.calls.map(([time]) => time)).toEqual([5, 6, 5]);
  });
});
