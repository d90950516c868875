import type { SendResult } from '../messenger-provider';
import type { TelegramError, TelegramResponse } from './telegram-bot-api';
import { TELEGRAM_ERRORS, telegramOutcome, telegramSendMessageRequest } from './telegram-bot-api';

const message = (recipient: string, body = 'hello') => ({ id: 'message-1', recipient, body, sender: null });

describe('telegramSendMessageRequest', () => {
  it.each([
    ['123456789', 123456789], // a user
    ['-1001234567890', -1001234567890], // a supergroup
    ['@alice_bot', '@alice_bot'],
    ['9007199254740991', 9007199254740991], // 2^53 - 1, the largest a number holds exactly
    ['9007199254740993', '9007199254740993'], // past 2^53 a number would round it: kept as text
  ])('addresses %p as chat_id %p', (recipient, chatId) => {
    expect(telegramSendMessageRequest(message(recipient)).chat_id).toBe(chatId);
  });

  it('sends the body as the text, and nothing else', () => {
    expect(telegramSendMessageRequest(message('42', 'Привет 😀\nsecond line'))).toStrictEqual({
      chat_id: 42,
      text: 'Привет 😀\nsecond line',
    });
  });
});

describe('telegramOutcome', () => {
  it('a sent message carries its message_id as the id', () => {
    const response: TelegramResponse = {
      ok: true,
      result: { message_id: 1047, date: 1_717_000_000, chat: { id: 123456789, type: 'private' }, text: 'hello' },
    };
    expect(telegramOutcome(response)).toStrictEqual({ outcome: 'sent', providerMessageId: '1047' });
  });

  describe('every catalogued error, as Telegram words it', () => {
    const retryAfterSeconds = 17;
    const entryOf = (entry: TelegramError | ((retryAfterSeconds: number) => TelegramError)) =>
      typeof entry === 'function' ? entry(retryAfterSeconds) : entry;

    // Adding an error to the catalogue without deciding what it means fails the tests below.
    const decisions: Record<keyof typeof TELEGRAM_ERRORS, SendResult> = {
      tooManyRequests: {
        outcome: 'retry',
        code: '429',
        description: 'Too Many Requests: retry after 17',
        rateLimited: true,
        retryAfterMs: 17_000,
      },
      internalServerError: { outcome: 'retry', code: '500', description: 'Internal Server Error' },
      badGateway: { outcome: 'retry', code: '502', description: 'Bad Gateway' },
      unauthorized: { outcome: 'account_failed', code: '401', description: 'Unauthorized' },
      chatNotFound: { outcome: 'failed', code: '400', description: 'Bad Request: chat not found' },
      messageTooLong: { outcome: 'failed', code: '400', description: 'Bad Request: message is too long' },
      messageTextEmpty: { outcome: 'failed', code: '400', description: 'Bad Request: message text is empty' },
      blockedByUser: { outcome: 'failed', code: '403', description: 'Forbidden: bot was blocked by the user' },
      userDeactivated: { outcome: 'failed', code: '403', description: 'Forbidden: user is deactivated' },
      cantInitiateConversation: {
        outcome: 'failed',
        code: '403',
        description: "Forbidden: bot can't initiate conversation with a user",
      },
      kickedFromGroup: { outcome: 'failed', code: '403', description: 'Forbidden: bot was kicked from the group chat' },
    };

    it('decides exactly the catalogued errors', () => {
      expect(Object.keys(decisions).sort()).toEqual(Object.keys(TELEGRAM_ERRORS).sort());
    });

    it.each(Object.keys(TELEGRAM_ERRORS) as (keyof typeof TELEGRAM_ERRORS)[])('%s', (name) => {
      const { response, meaning } = entryOf(TELEGRAM_ERRORS[name]);
      expect(decisions[name]).toBeDefined();
      expect(telegramOutcome(response)).toStrictEqual(decisions[name]);
      expect(meaning).toMatch(/^\S[^\n]*$/);
    });

    it('tells how long flood control wants us to wait, in seconds, as Telegram does', () => {
      expect(TELEGRAM_ERRORS.tooManyRequests(35).response).toStrictEqual({
        ok: false,
        error_code: 429,
        description: 'Too Many Requests: retry after 35',
        parameters: { retry_after: 35 },
      });
    });
  });

  it.each([
    [400, 'Bad Request: group chat was upgraded to a supergroup chat', 'failed'],
    [403, 'Forbidden: bot is not a member of the channel chat', 'failed'],
    [404, 'Not Found', 'account_failed'], // a token path Telegram cannot read: the account's to fix
    [409, 'Conflict: terminated by other getUpdates request', 'retry'],
    [503, 'Service Unavailable', 'retry'],
    [504, 'Gateway Timeout', 'retry'],
  ] as const)('%i %p, not catalogued, is %s by its class', (errorCode, description, outcome) => {
    expect(telegramOutcome({ ok: false, error_code: errorCode, description })).toStrictEqual({
      outcome,
      code: String(errorCode),
      description,
    });
  });

  it('slows down on a 429 even when it names no wait, leaving the delay to our backoff', () => {
    expect(telegramOutcome({ ok: false, error_code: 429, description: 'Too Many Requests' })).toStrictEqual({
      outcome: 'retry',
      code: '429',
      description: 'Too Many Requests',
      rateLimited: true,
    });
  });

  describe('an answer it cannot read is retried, never taken as sent or failed', () => {
    const unreadable = (body: unknown) => body as TelegramResponse;

    it.each([
      ['ok without a result', { ok: true }],
      ['ok without a message_id', { ok: true, result: { date: 1, chat: { id: 1, type: 'private' }, text: 'x' } }],
      ['a message_id that is not an integer', { ok: true, result: { message_id: '1047' } }],
      ['neither ok nor not', { error_code: 400, description: 'Bad Request' }],
      ['not ok, without an error_code', { ok: false, description: 'Bad Request: chat not found' }],
      ['null', null],
    ])('%s', (_, body) => {
      expect(telegramOutcome(unreadable(body))).toStrictEqual({
        outcome: 'retry',
        code: 'malformed_response',
        description: expect.any(String),
      });
    });
  });
});
