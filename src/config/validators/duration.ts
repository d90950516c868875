import { ParsesWith } from './parses-with';

const UNIT_SECONDS = { s: 1, m: 60, h: 3600, d: 86_400 } as const;
/** Ten years: a bound that keeps now() - interval far from PostgreSQL's date range and any overflow. */
const MAX_SECONDS = 10 * 365 * 86_400;

export interface ParsedDuration {
  /** Whole seconds; undefined when there are problems. */
  readonly seconds?: number;
  readonly problems: readonly string[];
}

/**
 * A duration as an operator writes it: a whole number and one unit, `90s`, `15m`, `12h`, `30d`. One unit
 * only (no `1h30m`, no bare number): a bare `30` could be read as seconds or days, and the mistake would
 * delete data.
 */
export function parseDuration(value: string): ParsedDuration {
  const match = /^\s*(\d+)\s*([smhd])\s*$/.exec(value);
  if (!match) return { problems: ['must be a whole number and a unit (s, m, h or d), e.g. "30d", "12h", "90s"'] };
  const seconds = Number(match[1]) * UNIT_SECONDS[match[2] as keyof typeof UNIT_SECONDS];
  if (seconds < 1) return { problems: ['must be at least 1s'] };
  if (seconds > MAX_SECONDS) return { problems: ['must be at most 3650d'] };
  return { seconds, problems: [] };
}

/** A duration setting (parseDuration's syntax); read it with parseDuration(value).seconds. */
export const IsDuration = (): PropertyDecorator => ParsesWith(parseDuration);
