import type { MessengerDefinition } from './messenger-definition';
import { telegram } from './telegram/telegram.definition';
import { viber } from './viber/viber.definition';
import { whatsapp } from './whatsapp/whatsapp.definition';

export { characterCount } from './character-count';
export type { MessengerDefinition } from './messenger-definition';

/**
 * The messengers we deliver to, in the order the docs list them: everything else about a messenger is
 * derived from its definition here. A new one is its folder, a line here, a line in ProvidersModule's
 * MESSENGER_WIRING, and a migration for the messages_provider_check constraint (CONTRIBUTING.md).
 */
export const MESSENGERS = [telegram, whatsapp, viber] as const;

export type MessengerName = (typeof MESSENGERS)[number]['name'];
export const MESSENGER_NAMES: readonly MessengerName[] = MESSENGERS.map((messenger) => messenger.name);

const BY_NAME: ReadonlyMap<string, MessengerDefinition> = new Map(MESSENGERS.map((m) => [m.name, m]));

export function isMessengerName(value: unknown): value is MessengerName {
  return typeof value === 'string' && BY_NAME.has(value);
}

/** Each messenger's definition, by name. */
export const MESSENGER_RULES: Readonly<Record<MessengerName, MessengerDefinition>> = Object.fromEntries(
  MESSENGERS.map((m): [string, MessengerDefinition] => [m.name, m]),
) as Record<MessengerName, MessengerDefinition>;

/**
 * The one spelling of a recipient, so that dedup sees what the messenger sees (see
 * MessengerDefinition.recipientSpelling). Anything else, an unknown messenger's included, is left as given.
 */
export function normalizeRecipient(provider: unknown, recipient: unknown): unknown {
  const spelling = isMessengerName(provider) ? BY_NAME.get(provider)?.recipientSpelling : undefined;
  return spelling && typeof recipient === 'string' ? spelling.normalize(recipient) : recipient;
}

/**
 * The spellings `recipient` has on each of `providers` once normalised, each with the messengers that
 * spell it so: an @username may be lower-cased on one messenger and kept as given on the others. What a
 * filter on stored recipients has to match.
 */
export function recipientSpellings(
  recipient: string,
  providers: readonly MessengerName[] = MESSENGER_NAMES,
): Map<string, MessengerName[]> {
  const spellings = new Map<string, MessengerName[]>();
  for (const provider of providers) {
    const spelling = normalizeRecipient(provider, recipient) as string;
    spellings.set(spelling, [...(spellings.get(spelling) ?? []), provider]);
  }
  return spellings;
}

/** How the messengers' recipient spellings differ, for the docs of a recipient filter: "a … in any case". */
export const RECIPIENT_SPELLING_NOTES: readonly string[] = MESSENGERS.flatMap((m: MessengerDefinition) =>
  m.recipientSpelling ? [m.recipientSpelling.note] : [],
);
