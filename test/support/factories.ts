import { randomInt } from 'node:crypto';
import { MESSENGERS, type MessengerName } from '../../src/providers/messengers';

export interface RecipientInput {
  provider: string;
  recipient: string;
}

/** A recipient valid for each messenger; a fresh one each call, so tests don't collide on the dedup key. */
export const aRecipient = Object.fromEntries(
  MESSENGERS.map(({ name, sampleRecipient }) => [
    name,
    (): RecipientInput => ({ provider: name, recipient: sampleRecipient(randomInt(0, 900_000_000)) }),
  ]),
) as Record<MessengerName, () => RecipientInput>;

/** A valid POST /messages body; pass the fields a test is about. */
export function aMessageRequest(overrides: Record<string, unknown> = {}): { body: string } & Record<string, unknown> {
  return {
    body: `Your order #${randomInt(1, 1e9)} has shipped.`,
    recipients: [aRecipient[MESSENGERS[0].name]()],
    ...overrides,
  };
}
