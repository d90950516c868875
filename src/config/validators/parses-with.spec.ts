import { validateSync } from 'class-validator';
import { ParsesWith } from './parses-with';

/** Accepts a comma-separated list of "yes"; names each other entry. */
const parseYeses = (value: string) => ({
  problems: value.split(',').flatMap((entry, i) => (entry === 'yes' ? [] : [`entry ${i + 1} is "${entry}", not yes`])),
});

class Settings {
  @ParsesWith(parseYeses)
  YESES: unknown;
}

const problemsOf = (value: unknown): string[] =>
  validateSync(Object.assign(new Settings(), { YESES: value })).flatMap((error) =>
    Object.values(error.constraints ?? {}),
  );

describe('ParsesWith', () => {
  it('accepts text the parser finds no problem with', () => {
    expect(problemsOf('yes,yes')).toEqual([]);
  });

  it("reports the parser's problems, in its words, as one message", () => {
    expect(problemsOf('yes,no,maybe')).toEqual(['entry 2 is "no", not yes; entry 3 is "maybe", not yes']);
  });

  it.each([[1], [['yes']], [undefined]])('refuses %p, which is not text the parser could read', (value) => {
    expect(problemsOf(value)).toEqual(['must be a string']);
  });
});
