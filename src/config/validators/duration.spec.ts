import { validateSync } from 'class-validator';
import { IsDuration, parseDuration } from './duration';

class Settings {
  @IsDuration()
  RETENTION: unknown;
}

const problemsOf = (value: unknown): string[] =>
  validateSync(Object.assign(new Settings(), { RETENTION: value })).flatMap((error) =>
    Object.values(error.constraints ?? {}),
  );

describe('parseDuration', () => {
  it.each([
    ['90s', 90],
    ['15m', 900],
    ['12h', 43_200],
    ['30d', 2_592_000],
    [' 7d ', 604_800],
    ['1 h', 3600],
    ['3650d', 315_360_000],
  ])('reads %p as %p seconds', (text, seconds) => {
    expect(parseDuration(text)).toEqual({ seconds, problems: [] });
  });

  it.each(['30', '', 'd', '1.5h', '-1d', '1h30m', '30 days', '30D', '1w', 'forever'])(
    'refuses %p, naming the syntax',
    (text) => {
      expect(parseDuration(text)).toEqual({
        problems: ['must be a whole number and a unit (s, m, h or d), e.g. "30d", "12h", "90s"'],
      });
    },
  );

  it('refuses zero, which would delete every finished message at once', () => {
    expect(parseDuration('0s').problems).toEqual(['must be at least 1s']);
  });

  it('refuses more than ten years', () => {
    expect(parseDuration('3651d').problems).toEqual(['must be at most 3650d']);
  });
});

describe('IsDuration', () => {
  it("accepts a duration and reports a wrong one in the parser's words", () => {
    expect(problemsOf('30d')).toEqual([]);
    expect(problemsOf('30')).toEqual(['must be a whole number and a unit (s, m, h or d), e.g. "30d", "12h", "90s"']);
  });
});
