import { MESSENGER_RULES, type MessengerName } from '../messengers';

/**
 * How one emulated messenger behaves: its random mix of outcomes, its latency and its limits. The shares
 * are drawn in order (transient, then rate-limited, then permanent), so with failureRate 1 every send
 * fails transiently whatever the others say.
 */
export interface EmulatorProfile {
  /** Share of sends answered with a transient error (the messenger's 5xx). */
  readonly failureRate: number;
  /** Share answered "slow down" at random, beyond the enforced limits. */
  readonly rateLimitedRate: number;
  /** Share refused for good (unknown recipient, blocked bot…). */
  readonly permanentRate: number;
  /** Share of accepted sends whose answer is lost: delivered, but the caller hears nothing. */
  readonly lostAnswerRate: number;
  /** Median latency; the tail is log-normal, as real network latency is. */
  readonly latencyMs: number;
  /** The messenger's overall limit, enforced; null: none. */
  readonly limit: { readonly count: number; readonly windowMs: number } | null;
  /** Least time between two messages to one recipient, enforced; 0: none. */
  readonly recipientIntervalMs: number;
}

export interface EmulatorDefaults {
  readonly failureRate: number;
  readonly rateLimitedRate: number;
  readonly permanentRate: number;
  readonly lostAnswerRate: number;
  readonly latencyMs: number;
}

const MAX_MS = { latency_ms: 60_000, recipient_interval_ms: 3_600_000 };

const RATE_KEYS = {
  failure_rate: 'failureRate',
  rate_limited_rate: 'rateLimitedRate',
  permanent_rate: 'permanentRate',
  lost_answer_rate: 'lostAnswerRate',
} as const;

/**
 * Parses a per-messenger override such as `failure_rate=0.1,latency_ms=200,limit=30/1000,recipient_interval_ms=0`
 * (limit is count/window in ms, or 0 for none). Returns the overrides and what was wrong with the text.
 */
export function parseEmulatorOverrides(text: string): { overrides: Partial<EmulatorProfile>; problems: string[] } {
  const overrides: Record<string, unknown> = {};
  const problems: string[] = [];
  for (const pair of text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean)) {
    const [key, value = '', ...extra] = pair.split('=').map((p) => p.trim());
    const number = /^\d+(\.\d+)?$/.test(value) ? Number(value) : NaN;
    if (extra.length > 0) {
      problems.push(`"${pair}" must be key=value`);
    } else if (Object.hasOwn(RATE_KEYS, key)) {
      if (!(number >= 0 && number <= 1)) problems.push(`${key} must be a number from 0 to 1`);
      else overrides[RATE_KEYS[key as keyof typeof RATE_KEYS]] = number;
    } else if (key === 'latency_ms' || key === 'recipient_interval_ms') {
      if (!Number.isInteger(number) || number > MAX_MS[key])
        problems.push(`${key} must be a whole number of milliseconds up to ${MAX_MS[key]}`);
      else overrides[key === 'latency_ms' ? 'latencyMs' : 'recipientIntervalMs'] = number;
    } else if (key === 'limit') {
      const match = /^(\d+)\/(\d+)$/.exec(value);
      if (value === '0') overrides.limit = null;
      else if (match && Number(match[1]) > 0 && Number(match[2]) > 0) {
        overrides.limit = { count: Number(match[1]), windowMs: Number(match[2]) };
      } else problems.push('limit must be count/window_ms (e.g. 30/1000) or 0');
    } else {
      problems.push(
        `unknown key "${key}" (known: ${[...Object.keys(RATE_KEYS), 'latency_ms', 'limit', 'recipient_interval_ms'].join(', ')})`,
      );
    }
  }
  return { overrides: overrides, problems };
}

/** A messenger's profile: its documented limits, the global defaults, then its own overrides. */
export function emulatorProfile(
  provider: MessengerName,
  defaults: EmulatorDefaults,
  overrides?: string,
): EmulatorProfile {
  const { limits } = MESSENGER_RULES[provider];
  return {
    ...defaults,
    limit: { count: limits.count, windowMs: limits.windowMs },
    recipientIntervalMs: limits.perRecipientIntervalMs,
    ...(overrides ? parseEmulatorOverrides(overrides).overrides : {}),
  };
}
