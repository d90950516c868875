import type { OutgoingMessage, SendResult } from '../messenger-provider';

/** Body of a REST bot API `send_message` call sending text. */
export interface ViberSendMessageRequest {
  /** The subscriber's Viber user id. */
  readonly receiver: string;
  /** 1: a plain text needs no newer client. */
  readonly min_api_version: 1;
  /** Shown as the message's author; Viber allows up to 28 characters. */
  readonly sender: { readonly name: string };
  /** Our message id: Viber echoes tracking_data back in the user's reply, tying it to this message. */
  readonly tracking_data: string;
  readonly type: 'text';
  readonly text: string;
}

/**
 * What `send_message` answers, always with HTTP 200: `status` says how it went, 0 being success.
 *
 * Viber sends `message_token` as a 64-bit JSON number, which JSON.parse would round to the nearest double
 * (5741311803571721087 becomes 5741311803571721000). We carry it as its decimal digits: a real HTTP
 * client would parse the body with a bigint-safe reviver (one reading the source text of the number).
 */
export interface ViberResponse {
  readonly status: number;
  readonly status_message: string;
  readonly message_token?: string;
  /** Internal: which Viber chat server handled the request. */
  readonly chat_hostname?: string;
  /** Whether and how the message was billed (bots pay past the monthly free messages). */
  readonly billing_status?: number;
}

/** One `status` Viber documents, in wire form, and what it means. */
export interface ViberStatus {
  readonly response: ViberResponse;
  readonly meaning: string;
}

const status = (code: number, status_message: string, meaning: string): ViberStatus => ({
  response: { status: code, status_message },
  meaning,
});

/**
 * Every status Viber documents, each answered with its documented name as status_message. Seen on the
 * wire the text sometimes differs ("notSubscribed" for 6, "Too many requests" for 12), which is why
 * viberOutcome decides on `status` alone.
 */
export const VIBER_STATUSES = {
  ok: {
    response: {
      status: 0,
      status_message: 'ok',
      message_token: '5741311803571721087',
      chat_hostname: 'SN-CHAT-05_',
      billing_status: 1,
    },
    meaning: 'Success: the message was accepted.',
  },
  invalidUrl: status(1, 'invalidUrl', 'The webhook URL is not valid.'),
  invalidAuthToken: status(2, 'invalidAuthToken', 'The authentication token is not valid.'),
  badData: status(3, 'badData', 'The request itself is in error (missing comma, bracket, etc.).'),
  missingData: status(4, 'missingData', 'Some mandatory data is missing.'),
  receiverNotRegistered: status(5, 'receiverNotRegistered', 'The receiver is not registered to Viber.'),
  receiverNotSubscribed: status(6, 'receiverNotSubscribed', 'The receiver is not subscribed to the bot.'),
  publicAccountBlocked: status(7, 'publicAccountBlocked', 'The bot’s account is blocked.'),
  publicAccountNotFound: status(8, 'publicAccountNotFound', 'The account the token belongs to is not a bot account.'),
  publicAccountSuspended: status(9, 'publicAccountSuspended', 'The bot’s account is suspended.'),
  webhookNotSet: status(10, 'webhookNotSet', 'No webhook is set for the bot.'),
  receiverNoSuitableDevice: status(
    11,
    'receiverNoSuitableDevice',
    'The receiver’s device or Viber version does not support bots.',
  ),
  tooManyRequests: status(
    12,
    'tooManyRequests',
    'Rate control breach: e.g. over 100 messages an hour to a user who has not replied.',
  ),
  apiVersionNotSupported: status(
    13,
    'apiVersionNotSupported',
    'The receiver’s devices all support an API version below the message’s min_api_version.',
  ),
  incompatibleWithVersion: status(14, 'incompatibleWithVersion', 'min_api_version does not fit the message’s fields.'),
  publicAccountNotAuthorized: status(15, 'publicAccountNotAuthorized', 'The bot’s account is not authorized.'),
  inChatReplyMessageNotAllowed: status(
    16,
    'inChatReplyMessageNotAllowed',
    'Inline (in-chat reply) messages are not allowed.',
  ),
  publicAccountIsNotInline: status(17, 'publicAccountIsNotInline', 'The bot’s account is not inline.'),
  noPublicChat: status(18, 'noPublicChat', 'The bot has no public chat to post to.'),
  cannotSendBroadcast: status(19, 'cannotSendBroadcast', 'A broadcast message cannot be sent.'),
  broadcastNotAllowed: status(20, 'broadcastNotAllowed', 'The bot may not send broadcast messages.'),
  unsupportedCountry: status(21, 'unsupportedCountry', 'The message is not supported in the receiver’s country.'),
  paymentUnsupported: status(22, 'paymentUnsupported', 'The bot does not support payment messages.'),
  freeMessagesExceeded: status(23, 'freeMessagesExceeded', 'The bot has used its free messages for the month.'),
  noBalance: status(24, 'noBalance', 'The bot is past its free messages and its account has no balance.'),
  /** Any status Viber does not document: "other: General error". */
  other: (code: number): ViberStatus => status(code, 'General error', 'A general error.'),
} as const satisfies Readonly<Record<string, ViberStatus | ((status: number) => ViberStatus)>>;

/** The `send_message` body for a message, from the bot named `senderName`. */
export function viberSendMessageRequest(message: OutgoingMessage, senderName: string): ViberSendMessageRequest {
  return {
    receiver: message.recipient,
    min_api_version: 1,
    sender: { name: senderName },
    tracking_data: message.id,
    type: 'text',
    text: message.body,
  };
}

type Decision = 'rateLimited' | 'permanent' | 'account';

/**
 * What a status means for the message; one not listed is retried.
 *
 * | status      | outcome             | why                                                                   |
 * |-------------|---------------------|-----------------------------------------------------------------------|
 * | 0           | sent                | with message_token as the id                                          |
 * | 12          | retry, rate-limited | slow down; no wait is given, so our backoff sets it                   |
 * | 5, 6, 11    | failed              | the receiver can't get it: not on Viber, unsubscribed, old client     |
 * | 3, 4        | failed              | the request is invalid as sent                                        |
 * | 16–22       | failed              | not a message this bot may send there (inline, broadcast, country…)   |
 * | 7, 9, 15    | failed              | Viber's verdict on the bot (blocked, suspended…): not ours to undo    |
 * | 2, 8        | account_failed      | the token is invalid, or not a bot's: the account's, not the message's |
 * | 1, 10       | retry               | our configuration (webhook): once fixed, the message goes             |
 * | 13, 14      | retry               | our min_api_version, the same on every message: ours to fix           |
 * | 23, 24      | retry               | billing (free messages used, no balance): once paid, the message goes |
 * | any other   | retry               | a general error, not known to be the message's                        |
 */
const DECISIONS: Readonly<Record<number, Decision>> = {
  12: 'rateLimited',
  3: 'permanent',
  4: 'permanent',
  5: 'permanent',
  6: 'permanent',
  7: 'permanent',
  2: 'account',
  8: 'account',
  9: 'permanent',
  11: 'permanent',
  15: 'permanent',
  16: 'permanent',
  17: 'permanent',
  18: 'permanent',
  19: 'permanent',
  20: 'permanent',
  21: 'permanent',
  22: 'permanent',
};

const MALFORMED = 'malformed_response';

/** What a `send_message` answer means for the message. */
export function viberOutcome(body: ViberResponse): SendResult {
  if (typeof body !== 'object' || body === null || !Number.isInteger(body.status)) {
    return { outcome: 'retry', code: MALFORMED, description: 'Viber answered without an integer status' };
  }
  if (body.status === 0) {
    const token: unknown = body.message_token;
    if (typeof token === 'string' && /^\d+$/.test(token)) return { outcome: 'sent', providerMessageId: token };
    return {
      outcome: 'retry',
      code: MALFORMED,
      // A number here was parsed without the bigint-safe reviver: its last digits may already be lost.
      description: `Viber answered ok without a message_token in decimal digits (got ${typeof token})`,
    };
  }

  const code = String(body.status);
  const description = typeof body.status_message === 'string' ? body.status_message : '';
  switch (DECISIONS[body.status]) {
    case 'rateLimited':
      return { outcome: 'retry', code, description, rateLimited: true };
    case 'permanent':
      return { outcome: 'failed', code, description };
    case 'account':
      return { outcome: 'account_failed', code, description };
    default:
      return { outcome: 'retry', code, description };
  }
}
