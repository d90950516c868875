import type { ProviderName } from './messengers';

/** What the dispatcher hands a messenger: one message to one recipient. */
export interface OutgoingMessage {
  /** Our message id; messengers that support idempotency keys receive it as one. */
  readonly id: string;
  readonly recipient: string;
  readonly body: string;
}

/**
 * How one attempt ended, in the dispatcher's terms rather than the messenger's:
 * - `sent`: accepted, with the id the messenger gave it;
 * - `retry`: a transient failure worth another attempt, after `retryAfterMs` when the messenger says so;
 * - `failed`: permanent (bad recipient, blocked bot…): retrying cannot help.
 */
export type SendResult =
  | { readonly outcome: 'sent'; readonly providerMessageId: string }
  | { readonly outcome: 'retry'; readonly error: string; readonly retryAfterMs?: number }
  | { readonly outcome: 'failed'; readonly error: string };

/** A messenger we deliver to. One implementation per messenger, all registered under MESSENGER_PROVIDERS. */
export interface MessengerProvider {
  readonly name: ProviderName;
  /** Resolves with the outcome; rejecting is treated as a transient failure. */
  send(message: OutgoingMessage): Promise<SendResult>;
}

/** Injection token of the MessengerProvider[] the registry is built from; tests replace it. */
export const MESSENGER_PROVIDERS = Symbol('MESSENGER_PROVIDERS');
