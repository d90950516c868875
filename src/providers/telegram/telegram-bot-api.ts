import type { OutgoingMessage, SendResult } from '../messenger-provider';

/** Body of a Bot API `sendMessage` call: the fields we set (Telegram takes many more, all optional). */
export interface TelegramSendMessageRequest {
  /** A number for a numeric chat id, the "@username" otherwise. */
  readonly chat_id: number | string;
  readonly text: string;
}

/** The sent message Telegram returns, as far as we read it (the real Message carries more fields). */
export interface TelegramMessage {
  readonly message_id: number;
  /** Unix time, in seconds. */
  readonly date: number;
  readonly chat: { readonly id: number | string; readonly type: string };
  readonly text: string;
}

/** Telegram's ResponseParameters: why a request failed and what to do about it. */
export interface TelegramResponseParameters {
  /** On 429: seconds to wait before repeating the request. */
  readonly retry_after?: number;
  /** On a group upgraded to a supergroup: the chat id to use from now on. */
  readonly migrate_to_chat_id?: number;
}

export interface TelegramSuccessResponse {
  readonly ok: true;
  readonly result: TelegramMessage;
}

/** The HTTP status Telegram answers with is `error_code` itself, so the body says everything. */
export interface TelegramErrorResponse {
  readonly ok: false;
  readonly error_code: number;
  readonly description: string;
  readonly parameters?: TelegramResponseParameters;
}

/** What every Bot API method answers: `ok` says which half applies. */
export type TelegramResponse = TelegramSuccessResponse | TelegramErrorResponse;

/** One error Telegram answers `sendMessage` with, in wire form, and what it means. */
export interface TelegramError {
  readonly response: TelegramErrorResponse;
  readonly meaning: string;
}

const failure = (error_code: number, description: string, meaning: string): TelegramError => ({
  response: { ok: false, error_code, description },
  meaning,
});

/** The errors `sendMessage` really answers with, word for word, for emulators and docs to draw from. */
export const TELEGRAM_ERRORS = {
  tooManyRequests: (retryAfterSeconds: number): TelegramError => ({
    response: {
      ok: false,
      error_code: 429,
      description: `Too Many Requests: retry after ${retryAfterSeconds}`,
      parameters: { retry_after: retryAfterSeconds },
    },
    meaning: 'Flood control: the bot sent too fast (about 30 messages a second overall, 1 a second to one chat).',
  }),
  internalServerError: failure(500, 'Internal Server Error', 'Telegram failed on its side.'),
  badGateway: failure(502, 'Bad Gateway', 'Telegram’s front end could not reach the Bot API server.'),
  unauthorized: failure(401, 'Unauthorized', 'The bot token is wrong or was revoked.'),
  chatNotFound: failure(400, 'Bad Request: chat not found', 'No chat has that id or @username that the bot can see.'),
  messageTooLong: failure(400, 'Bad Request: message is too long', 'The text is over 4096 characters.'),
  messageTextEmpty: failure(400, 'Bad Request: message text is empty', 'The text is empty, or only whitespace.'),
  blockedByUser: failure(403, 'Forbidden: bot was blocked by the user', 'The user blocked the bot.'),
  userDeactivated: failure(403, 'Forbidden: user is deactivated', 'The user deleted their Telegram account.'),
  cantInitiateConversation: failure(
    403,
    "Forbidden: bot can't initiate conversation with a user",
    'The user never started the bot, and a bot cannot write first.',
  ),
  kickedFromGroup: failure(403, 'Forbidden: bot was kicked from the group chat', 'The bot was removed from the group.'),
} as const satisfies Readonly<Record<string, TelegramError | ((retryAfterSeconds: number) => TelegramError)>>;

/**
 * The `sendMessage` body for a message. Numeric ids go as numbers, as Telegram documents them; one past
 * 2^53 would be rounded as a number, so it stays text, which Telegram accepts for chat_id too.
 */
export function telegramSendMessageRequest(message: OutgoingMessage): TelegramSendMessageRequest {
  const { recipient } = message;
  const numeric = /^-?\d+$/.test(recipient) && Number.isSafeInteger(Number(recipient));
  return { chat_id: numeric ? Number(recipient) : recipient, text: message.body };
}

const MALFORMED = 'malformed_response';

/**
 * What a `sendMessage` answer means for the message:
 *
 * | answer          | outcome                       | why                                                     |
 * |-----------------|-------------------------------|---------------------------------------------------------|
 * | ok              | sent, id = result.message_id  |                                                         |
 * | 429             | retry, rate-limited           | flood control; retry_after × 1000 is the earliest next  |
 * | 400, 403        | failed                        | this chat or this text: sending it again cannot help    |
 * | 401, 404        | account_failed                | the bot token is wrong or revoked (404: a token path    |
 * |                 |                               | Telegram cannot read): the account's, not the message's |
 * | 5xx, any other  | retry                         | their outage, or an error we don't know: never dropped  |
 * | unreadable      | retry, "malformed_response"   | we can't tell what happened, so don't give up on it     |
 */
export function telegramOutcome(response: TelegramResponse): SendResult {
  if (typeof response !== 'object' || response === null) {
    return { outcome: 'retry', code: MALFORMED, description: 'Telegram answered with no JSON object' };
  }
  if (response.ok === true) {
    const id: unknown = response.result?.message_id;
    if (typeof id !== 'number' || !Number.isSafeInteger(id)) {
      return { outcome: 'retry', code: MALFORMED, description: 'Telegram answered ok without an integer message_id' };
    }
    return { outcome: 'sent', providerMessageId: String(id) };
  }
  if (response.ok !== false || typeof response.error_code !== 'number') {
    return { outcome: 'retry', code: MALFORMED, description: 'Telegram answered neither ok nor an error_code' };
  }

  const code = String(response.error_code);
  const description = typeof response.description === 'string' ? response.description : '';
  switch (response.error_code) {
    case 429: {
      const retryAfter = response.parameters?.retry_after;
      return typeof retryAfter === 'number' && retryAfter >= 0
        ? { outcome: 'retry', code, description, rateLimited: true, retryAfterMs: retryAfter * 1000 }
        : { outcome: 'retry', code, description, rateLimited: true };
    }
    case 400:
    case 403:
      return { outcome: 'failed', code, description };
    case 401:
    case 404:
      return { outcome: 'account_failed', code, description };
    default:
      return { outcome: 'retry', code, description };
  }
}
