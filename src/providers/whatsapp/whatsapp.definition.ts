import type { TestRecipient } from '../emulators/test-recipient';
import { defineMessenger } from '../messenger-definition';
import { HEADER_SAFE, plain, token } from '../senders/sender-shape';

/** The refusals the emulator words for a test recipient or a random draw. */
export type WhatsAppRefusal = 'undeliverable' | 'reEngagement';

/** Phone numbers (in the fictional +1 555 range) that always behave the same way. */
export const WHATSAPP_TEST_RECIPIENTS: readonly TestRecipient<WhatsAppRefusal>[] = [
  {
    recipient: '+15550000200',
    verdict: { kind: 'accept' },
    answer: 'accepted',
    outcome: 'sent, never a random failure',
  },
  {
    recipient: '+15550131026',
    verdict: { kind: 'permanent', reason: 'undeliverable' },
    answer: '131026 Message Undeliverable',
    outcome: 'failed at once (code 131026)',
  },
  {
    recipient: '+15550131047',
    verdict: { kind: 'permanent', reason: 'reEngagement' },
    answer: '131047 Re-engagement message (24-hour window closed)',
    outcome: 'failed at once (code 131047)',
  },
  {
    recipient: '+15550131056',
    verdict: { kind: 'throttled', scope: 'recipient', retryAfterMs: 6000 },
    times: 2,
    answer: '131056 pair rate limit hit, twice, then accepted',
    outcome: 'sent on the 3rd attempt, retries_count 0',
  },
  {
    recipient: '+15550131000',
    verdict: { kind: 'transient' },
    times: 2,
    answer: '131000 Something went wrong, twice, then accepted',
    outcome: 'sent on the 3rd attempt, retries_count 2',
  },
  {
    recipient: '+15550000504',
    verdict: { kind: 'timeout' },
    answer: 'no answer',
    outcome: 'times out every attempt: failed with code "timeout"',
  },
];

/** The WhatsApp Cloud API: what the rest of the service knows of it (see MessengerDefinition). */
export const whatsapp = defineMessenger({
  name: 'whatsapp',
  displayName: 'WhatsApp',
  maxBodyLength: 4096,
  // Cloud API: 80 messages per second per business number by default; the pair rate limit allows
  // about one message every 6 seconds to the same user.
  limits: { count: 80, windowMs: 1000, perRecipientIntervalMs: 6000 },
  recipientPattern: /^\+[1-9]\d{7,14}$/,
  recipientFormat: 'an E.164 phone number: "+" and 8-15 digits, the first not 0',
  recipientSummary: 'E.164 phone number (+ and 8-15 digits)',
  testRecipients: WHATSAPP_TEST_RECIPIENTS,
  sampleRecipient: (n: number) => `+49${100_000_000 + n}`,
  answerCodes: {
    slowDown: '130429 / 131056 / 131048 / 4 / 80007',
    transient: '1 / 2 / 131000 / 131016',
    permanent: '131026 / 131047 / 100 / 131008 / 131009',
  },
  example: {
    recipient: '+4915112345678',
    providerMessageId: 'wamid.HBgNNDkxNTExMjM0NTY3OBUCABEYEjk5QjNDQTE0RkJGMEI2MDE0AA==',
    transient: { code: '131000', description: '(#131000) Something went wrong' },
    permanent: { code: '131026', description: '(#131026) Message Undeliverable' },
  },
  sender: {
    // A current Graph API version: each one expires about two years after its release.
    defaultBaseUrl: 'https://graph.facebook.com/v26.0',
    credentials: {
      // A string: an id past 2^53 would lose digits as a JSON number.
      phone_number_id: plain((value) =>
        /^\d{1,32}$/.test(value)
          ? undefined
          : 'phone_number_id must be the number’s id in digits (Meta’s id, not the phone number)',
      ),
      token: token(HEADER_SAFE, 'printable ASCII without spaces'),
    },
  },
});
