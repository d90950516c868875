import type { TestRecipient } from '../emulators/test-recipient';
import { defineMessenger } from '../messenger-definition';
import { PATH_SAFE, token } from '../senders/sender-shape';

/** The refusals the emulator words for a test recipient or a random draw (keys of TELEGRAM_ERRORS). */
export type TelegramRefusal = 'chatNotFound' | 'blockedByUser' | 'userDeactivated' | 'messageTooLong';

/** Chat ids that always behave the same way, so client teams can test their handling of each case. */
export const TELEGRAM_TEST_RECIPIENTS: readonly TestRecipient<TelegramRefusal>[] = [
  { recipient: '1000000200', verdict: { kind: 'accept' }, answer: 'ok', outcome: 'sent, never a random failure' },
  {
    recipient: '1000000403',
    verdict: { kind: 'permanent', reason: 'blockedByUser' },
    answer: '403 Forbidden: bot was blocked by the user',
    outcome: 'failed at once (code 403)',
  },
  {
    recipient: '1000000404',
    verdict: { kind: 'permanent', reason: 'chatNotFound' },
    answer: '400 Bad Request: chat not found',
    outcome: 'failed at once (code 400)',
  },
  {
    recipient: '1000000410',
    verdict: { kind: 'permanent', reason: 'userDeactivated' },
    answer: '403 Forbidden: user is deactivated',
    outcome: 'failed at once (code 403)',
  },
  {
    recipient: '1000000429',
    verdict: { kind: 'throttled', scope: 'recipient', retryAfterMs: 1000 },
    times: 2,
    answer: '429 Too Many Requests: retry after 1, twice, then ok',
    outcome: 'sent on the 3rd attempt, retries_count 0 (rate limits cost no retry)',
  },
  {
    recipient: '1000000502',
    verdict: { kind: 'transient' },
    times: 2,
    answer: '502 Bad Gateway, twice, then ok',
    outcome: 'sent on the 3rd attempt, retries_count 2',
  },
  {
    recipient: '1000000504',
    verdict: { kind: 'timeout' },
    answer: 'no answer',
    outcome: 'times out every attempt: failed with code "timeout" after 1 + MAX_RETRIES attempts',
  },
];

/** Telegram's Bot API: what the rest of the service knows of it (see MessengerDefinition). */
export const telegram = defineMessenger({
  name: 'telegram',
  displayName: 'Telegram',
  maxBodyLength: 4096,
  // Bot API FAQ: about 30 messages per second overall, and no more than one per second to a chat.
  limits: { count: 30, windowMs: 1000, perRecipientIntervalMs: 1000 },
  // Chat ids are integers (negative for groups); public users and channels also have @usernames.
  recipientPattern: /^(-?[1-9]\d{0,15}|@\w{5,32})$/,
  recipientFormat: 'an integer chat id or an @username of 5-32 letters, digits or underscores',
  recipientSummary: 'integer chat id or @username (5-32 word characters)',
  // Usernames are case-insensitive: @Alice is @alice.
  recipientSpelling: {
    normalize: (recipient: string) => (recipient.startsWith('@') ? recipient.toLowerCase() : recipient),
    note: 'a Telegram @username in any case',
  },
  testRecipients: TELEGRAM_TEST_RECIPIENTS,
  sampleRecipient: (n: number) => String(100_000_000 + n),
  answerCodes: { slowDown: '429', permanent: '400 / 403' },
  example: {
    recipient: '123456789',
    providerMessageId: '52817',
    transient: { code: '502', description: 'Bad Gateway' },
    permanent: { code: '403', description: 'Forbidden: bot was blocked by the user' },
  },
  sender: {
    defaultBaseUrl: 'https://api.telegram.org',
    // The token goes in the URL path (/bot<token>/sendMessage), so it must need no escaping there.
    credentials: { token: token(PATH_SAFE, 'letters, digits and ":", "_", "-", "." or "~" (it goes in the URL path)') },
  },
});
