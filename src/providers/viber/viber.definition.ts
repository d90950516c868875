import { characterCount } from '../character-count';
import type { TestRecipient } from '../emulators/test-recipient';
import { defineMessenger } from '../messenger-definition';
import { HEADER_SAFE, plain, token } from '../senders/sender-shape';

/** The refusals the emulator words for a test recipient or a random draw. */
export type ViberRefusal = 'receiverNotRegistered' | 'receiverNotSubscribed' | 'receiverNoSuitableDevice';

/** Viber ids that always behave the same way. */
export const VIBER_TEST_RECIPIENTS: readonly TestRecipient<ViberRefusal>[] = [
  { recipient: 'test-ok', verdict: { kind: 'accept' }, answer: 'status 0 ok', outcome: 'sent, never a random failure' },
  {
    recipient: 'test-not-registered',
    verdict: { kind: 'permanent', reason: 'receiverNotRegistered' },
    answer: 'status 5 receiverNotRegistered',
    outcome: 'failed at once (code 5)',
  },
  {
    recipient: 'test-not-subscribed',
    verdict: { kind: 'permanent', reason: 'receiverNotSubscribed' },
    answer: 'status 6 receiverNotSubscribed',
    outcome: 'failed at once (code 6)',
  },
  {
    recipient: 'test-no-device',
    verdict: { kind: 'permanent', reason: 'receiverNoSuitableDevice' },
    answer: 'status 11 receiverNoSuitableDevice',
    outcome: 'failed at once (code 11)',
  },
  {
    recipient: 'test-rate-limited',
    verdict: { kind: 'throttled', scope: 'messenger', retryAfterMs: 1000 },
    times: 2,
    answer: 'status 12 tooManyRequests, twice, then ok',
    outcome: 'sent on the 3rd attempt, retries_count 0',
  },
  {
    recipient: 'test-timeout',
    verdict: { kind: 'timeout' },
    answer: 'no answer',
    outcome: 'times out every attempt: failed with code "timeout"',
  },
];

/** Viber's REST bot API: what the rest of the service knows of it (see MessengerDefinition). */
export const viber = defineMessenger({
  name: 'viber',
  displayName: 'Viber',
  maxBodyLength: 7000,
  // REST API: 500 requests per 10 seconds per bot; no per-user limit is documented.
  limits: { count: 500, windowMs: 10_000, perRecipientIntervalMs: 0 },
  // Viber user ids are opaque base64-like strings; accept any printable ASCII, without spaces at the ends.
  recipientPattern: /^[\x21-\x7e](?:[\x20-\x7e]{0,62}[\x21-\x7e])?$/,
  recipientFormat: 'an opaque id of 1-64 printable characters',
  recipientSummary: 'opaque user id (1-64 printable characters)',
  testRecipients: VIBER_TEST_RECIPIENTS,
  sampleRecipient: (n: number) => `vb${(1e9 + n).toString(36)}==`,
  answerCodes: { slowDown: '12', permanent: '3 / 4 / 5 / 6 / 11' },
  example: {
    recipient: 'pttm25kSGUo1919sBORWyA==',
    providerMessageId: '5741311803571721087',
    transient: { code: '99', description: 'General error' },
    permanent: { code: '6', description: 'receiverNotSubscribed' },
  },
  sender: {
    defaultBaseUrl: 'https://chatapi.viber.com',
    credentials: {
      token: token(HEADER_SAFE, 'printable ASCII without spaces'),
      // Shown to the receiver as the message's author; Viber allows 28 characters.
      sender_name: plain((value) =>
        value.trim() !== '' && characterCount(value) <= 28
          ? undefined
          : 'sender_name must be 1-28 characters, not all spaces',
      ),
    },
  },
});
