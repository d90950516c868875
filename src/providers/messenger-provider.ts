import type { MessengerName } from './messengers';

/** What the dispatcher hands a messenger: one message to one recipient. */
export interface OutgoingMessage {
  /** Our message id; messengers that support idempotency keys receive it as one. */
  readonly id: string;
  readonly recipient: string;
  readonly body: string;
  /** The sender account's name (SENDERS_FILE) it goes out with; null: the built-in emulator. */
  readonly sender: string | null;
}

/**
 * How one attempt ended, in the dispatcher's terms rather than the messenger's:
 * - `sent`: accepted, with the id the messenger gave it;
 * - `retry`: a transient failure worth another attempt. `rateLimited` means the messenger asked us to
 *   slow down: that is not the message's fault, so it costs no retry, and `retryAfterMs` (when the
 *   messenger gives one) is the earliest the next attempt may go;
 * - `failed`: permanent (unknown chat, blocked bot, closed window…): retrying cannot help;
 * - `account_failed`: the messenger refused the sender account's credentials (a revoked or wrong token): not
 *   the message's fault, so it waits without spending a retry while the account is paused.
 * `code` is the messenger's own error code as text ("429", "131056", "12"), or ours for what happened
 * on our side ("timeout", "exception"); `description` is its message.
 */
export type SendResult =
  | { readonly outcome: 'sent'; readonly providerMessageId: string }
  | {
      readonly outcome: 'retry';
      readonly code: string;
      readonly description: string;
      readonly rateLimited?: boolean;
      readonly retryAfterMs?: number;
    }
  | { readonly outcome: 'failed'; readonly code: string; readonly description: string }
  | { readonly outcome: 'account_failed'; readonly code: string; readonly description: string };

/** A messenger we deliver to. One implementation per messenger, all registered under MESSENGER_PROVIDERS. */
export interface MessengerProvider {
  readonly name: MessengerName;
  /** Resolves with the outcome; rejecting is treated as a transient failure. */
  send(message: OutgoingMessage): Promise<SendResult>;
}

/** Injection token of the MessengerProvider[] the registry is built from; tests replace it. */
export const MESSENGER_PROVIDERS = Symbol('MESSENGER_PROVIDERS');
