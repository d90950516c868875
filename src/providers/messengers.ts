/** The messengers we deliver to, and the limits their real APIs put on a message. */
export const PROVIDER_NAMES = ['telegram', 'whatsapp', 'viber'] as const;
export type ProviderName = (typeof PROVIDER_NAMES)[number];

export interface MessengerRules {
  /** Longest body the messenger accepts, in characters (Unicode code points). */
  readonly maxBodyLength: number;
  /** The messenger's documented sending limits: its emulator enforces them, the dispatcher paces under them. */
  readonly limits: {
    /** At most `count` messages in any `windowMs` to the messenger as a whole. */
    readonly count: number;
    readonly windowMs: number;
    /** Least time between two messages to one recipient (0: no such limit). */
    readonly perRecipientIntervalMs: number;
  };
  readonly recipientPattern: RegExp;
  /** Said back to the caller when a recipient does not match. */
  readonly recipientFormat: string;
}

export const MESSENGER_RULES: Readonly<Record<ProviderName, MessengerRules>> = {
  telegram: {
    maxBodyLength: 4096,
    // Bot API FAQ: about 30 messages per second overall, and no more than one per second to a chat.
    limits: { count: 30, windowMs: 1000, perRecipientIntervalMs: 1000 },
    // Chat ids are integers (negative for groups); public users and channels also have @usernames.
    recipientPattern: /^(-?[1-9]\d{0,15}|@\w{5,32})$/,
    recipientFormat: 'an integer chat id or an @username of 5-32 letters, digits or underscores',
  },
  whatsapp: {
    maxBodyLength: 4096,
    // Cloud API: 80 messages per second per business number by default; the pair rate limit allows
    // about one message every 6 seconds to the same user.
    limits: { count: 80, windowMs: 1000, perRecipientIntervalMs: 6000 },
    recipientPattern: /^\+[1-9]\d{7,14}$/,
    recipientFormat: 'an E.164 phone number: "+" and 8-15 digits, the first not 0',
  },
  viber: {
    maxBodyLength: 7000,
    // REST API: 500 requests per 10 seconds per bot; no per-user limit is documented.
    limits: { count: 500, windowMs: 10_000, perRecipientIntervalMs: 0 },
    // Viber user ids are opaque base64-like strings; accept any printable ASCII, without spaces at the ends.
    recipientPattern: /^[\x21-\x7e](?:[\x20-\x7e]{0,62}[\x21-\x7e])?$/,
    recipientFormat: 'an opaque id of 1-64 printable characters',
  },
};

/**
 * The one spelling of a recipient, so that dedup sees what the messenger sees: Telegram usernames are
 * case-insensitive (@Alice is @alice). Anything else is left as given.
 */
export function normalizeRecipient(provider: unknown, recipient: unknown): unknown {
  if (provider === 'telegram' && typeof recipient === 'string' && recipient.startsWith('@')) {
    return recipient.toLowerCase();
  }
  return recipient;
}

/**
 * The spellings `recipient` has on each of `providers` once normalised, each with the messengers that
 * spell it so: `@SomeUser` is `@someuser` on Telegram and `@SomeUser` on WhatsApp and Viber. What a filter
 * on stored recipients has to match.
 */
export function recipientSpellings(
  recipient: string,
  providers: readonly ProviderName[] = PROVIDER_NAMES,
): Map<string, ProviderName[]> {
  const spellings = new Map<string, ProviderName[]>();
  for (const provider of providers) {
    const spelling = normalizeRecipient(provider, recipient) as string;
    spellings.set(spelling, [...(spellings.get(spelling) ?? []), provider]);
  }
  return spellings;
}

export function isProviderName(value: unknown): value is ProviderName {
  return typeof value === 'string' && (PROVIDER_NAMES as readonly string[]).includes(value);
}

/** Length in Unicode code points, not UTF-16 code units: 😀 is 1 (a skin-toned emoji or a decomposed é is 2). */
export function characterCount(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}
