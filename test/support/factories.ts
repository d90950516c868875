import { randomInt } from 'node:crypto';

export interface RecipientInput {
  provider: string;
  recipient: string;
}

/** A recipient valid for each messenger; a fresh one each call, so tests don't collide on the dedup key. */
export const aRecipient = {
  telegram: (): RecipientInput => ({ provider: 'telegram', recipient: String(randomInt(100_000_000, 999_999_999)) }),
  whatsapp: (): RecipientInput => ({ provider: 'whatsapp', recipient: `+49${randomInt(100_000_000, 999_999_999)}` }),
  viber: (): RecipientInput => ({ provider: 'viber', recipient: `vb${randomInt(1e9, 9e9).toString(36)}==` }),
};

/** A valid POST /messages body; pass the fields a test is about. */
export function aMessageRequest(overrides: Record<string, unknown> = {}): { body: string } & Record<string, unknown> {
  return {
    body: `Your order #${randomInt(1, 1e9)} has shipped.`,
    recipients: [aRecipient.telegram()],
    ...overrides,
  };
}
