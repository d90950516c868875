import { validateSync } from 'class-validator';
import { IsCronExpression } from './cron-expression';

class Settings {
  @IsCronExpression()
  CRON: unknown;
}

const problemsOf = (value: unknown): string[] =>
  validateSync(Object.assign(new Settings(), { CRON: value })).flatMap((error) =>
    Object.values(error.constraints ?? {}),
  );

describe('IsCronExpression', () => {
  it.each(['*/10 * * * * *', '0 */5 * * * *', '30 0 3 * * 1-5', '  0 0 * * * *  '])(
    'accepts the six-field expression %p',
    (value) => {
      expect(problemsOf(value)).toEqual([]);
    },
  );

  it.each([
    ['five fields: the seconds are missing', '* * * * *'],
    ['seven fields', '0 0 0 * * * 2030'],
    ['words', 'every minute'],
    ['nothing', ''],
    ['a number', 10],
    ['no value', undefined],
  ])('refuses %s, and shows the form it wants', (_, value) => {
    expect(problemsOf(value)).toEqual(['must be a six-field cron expression (seconds first), e.g. "*/10 * * * * *"']);
  });

  it.each([
    ['a second past 59', '61 * * * * *'],
    ['an hour past 23', '0 0 24 * * *'],
    ['an unknown weekday', '0 0 0 * * funday'],
  ])('refuses six fields with %s, in the cron library’s words', (_, value) => {
    expect(problemsOf(value)).toEqual([expect.stringMatching(/^is not a valid cron expression: \S/)]);
  });
});
