import { createHmac } from 'node:crypto';
import { inspect } from 'node:util';

/** How the Standard Webhooks specification serializes a symmetric secret: this prefix, then base64. */
export const WEBHOOK_SECRET_PREFIX = 'whsec_';

/** The specification's range for HMAC-SHA256 secrets: at least 24 bytes (192 bits), at most 512 bits. */
export const MIN_SECRET_BYTES = 24;
export const MAX_SECRET_BYTES = 64;

/**
 * A callback secret, decoded. It signs, and shows its key to nothing else: JSON (pino), util.inspect and
 * String() all print a placeholder, so a logged configuration leaks no secret.
 */
export class WebhookSecret {
  readonly #key: Buffer;

  private constructor(key: Buffer) {
    this.#key = key;
  }

  /** The secret in `whsec_<base64>` form, or why it cannot be one. The reason never quotes the secret. */
  static parse(text: string): WebhookSecret | { problem: string } {
    if (!text.startsWith(WEBHOOK_SECRET_PREFIX)) return { problem: `must start with "${WEBHOOK_SECRET_PREFIX}"` };
    const encoded = text.slice(WEBHOOK_SECRET_PREFIX.length);
    const key = Buffer.from(encoded, 'base64');
    // Buffer skips what is not base64; the verifiers' decoders do not. Canonical base64 decodes the same everywhere.
    if (encoded === '' || key.toString('base64') !== encoded) {
      return { problem: `must be "${WEBHOOK_SECRET_PREFIX}" then standard base64 (A-Z a-z 0-9 + /, "=" padding)` };
    }
    if (key.length < MIN_SECRET_BYTES || key.length > MAX_SECRET_BYTES) {
      return {
        problem: `decodes to ${key.length} bytes; it must be ${MIN_SECRET_BYTES} to ${MAX_SECRET_BYTES} random bytes`,
      };
    }
    return new WebhookSecret(key);
  }

  /** The `v1,` signature of `content`. */
  sign(content: string): string {
    return `v1,${createHmac('sha256', this.#key).update(content, 'utf8').digest('base64')}`;
  }

  /** Whether two secrets hold the same key (configuration checks). */
  equals(other: WebhookSecret): boolean {
    return this.#key.equals(other.#key);
  }

  toJSON(): string {
    return '[secret]';
  }

  toString(): string {
    return '[secret]';
  }

  [inspect.custom](): string {
    return 'WebhookSecret [secret]';
  }
}

export interface WebhookHeaders {
  readonly 'webhook-id': string;
  readonly 'webhook-timestamp': string;
  readonly 'webhook-signature': string;
}

/**
 * The specification forbids "." in the id (it delimits the signed content) and wants it opaque to the
 * receiver; this is the character set of the ids its libraries and examples use.
 */
const EVENT_ID = /^[A-Za-z0-9_-]{1,128}$/;

/**
 * The Standard Webhooks headers for one delivery attempt: `webhook-id` is the event's (the same on every
 * retry, receivers dedupe on it), `webhook-timestamp` is this attempt's (verifiers refuse one more than
 * 5 minutes off), and `webhook-signature` holds one `v1,` signature per secret, space-separated, so that a
 * receiver in the middle of a secret rotation verifies with either its old or its new secret.
 * `body` must be sent exactly as given: the signature covers its bytes.
 */
export function signWebhook(
  eventId: string,
  body: string,
  secrets: readonly WebhookSecret[],
  now: Date,
): WebhookHeaders {
  if (!EVENT_ID.test(eventId)) throw new Error('a webhook id is 1-128 letters, digits, "_" or "-"');
  if (secrets.length === 0) throw new Error('a webhook needs at least one secret to be signed with');
  const timestamp = String(Math.floor(now.getTime() / 1000));
  const content = `${eventId}.${timestamp}.${body}`;
  return {
    'webhook-id': eventId,
    'webhook-timestamp': timestamp,
    'webhook-signature': secrets.map((secret) => secret.sign(content)).join(' '),
  };
}
