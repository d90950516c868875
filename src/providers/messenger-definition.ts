import type { TestRecipient } from './emulators/test-recipient';
import type { SenderShape } from './senders/sender-shape';

/**
 * Everything about one messenger that the rest of the service derives from: validation, the API's docs and
 * examples, config keys, metrics labels, test helpers. Plain data, no Nest, so that config can read the
 * list (src/providers/messengers.ts); the Nest wiring (its API token, emulator, provider) is its folder's
 * `*.providers.ts`.
 */
export interface MessengerDefinition {
  /** The API's `provider` value, lower case; upper-cased in DISPATCH_RATE_<NAME> and EMULATOR_<NAME>. */
  readonly name: string;
  /** How prose names it, capitals and all. */
  readonly displayName: string;
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
  /** The recipient rule in the API's description of `recipient`, briefly. */
  readonly recipientSummary: string;
  /**
   * Where the messenger spells one recipient several ways: the one spelling, so that dedup sees what the
   * messenger sees, and a note for the docs of recipient filters ("a … @username in any case").
   */
  readonly recipientSpelling?: { readonly normalize: (recipient: string) => string; readonly note: string };
  /** Recipients its emulator always answers the same way, for client teams to test against. */
  readonly testRecipients: readonly TestRecipient[];
  /** A valid recipient for each 0 ≤ n < 900,000,000, a different one each and no test recipient: for tests and tools. */
  readonly sampleRecipient: (n: number) => string;
  /** Its codes in the API description's "How a messenger's answer counts" (a transient one beyond 5xx, if any). */
  readonly answerCodes: { readonly slowDown: string; readonly transient?: string; readonly permanent: string };
  /** What the API document's examples show of it. */
  readonly example: {
    readonly recipient: string;
    readonly providerMessageId: string;
    readonly transient: { readonly code: string; readonly description: string };
    readonly permanent: { readonly code: string; readonly description: string };
  };
  /** A sender account's fields beyond the common ones (SENDERS_FILE). */
  readonly sender: SenderShape;
}

/** A definition with its literal types kept (the name as its literal, its sender fields by name). */
export function defineMessenger<const D extends MessengerDefinition>(definition: D): D {
  return definition;
}
