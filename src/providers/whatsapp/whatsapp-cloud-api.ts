import type { OutgoingMessage, SendResult } from '../messenger-provider';

/**
 * Body of a Cloud API `POST /{phone-number-id}/messages` call sending text. The API has no idempotency
 * key, so our message id does not travel: a retry after a lost answer can deliver twice.
 */
export interface WhatsAppSendRequest {
  readonly messaging_product: 'whatsapp';
  readonly recipient_type: 'individual';
  /** The phone number in international form, digits only: no "+". */
  readonly to: string;
  readonly type: 'text';
  /** Sent as written: WhatsApp draws no preview box for a link in it. */
  readonly text: { readonly preview_url: false; readonly body: string };
}

/** A message accepted for delivery (delivery itself is reported later, by webhook). */
export interface WhatsAppSuccessResponse {
  readonly messaging_product: 'whatsapp';
  /** `input` is the number as we sent it, `wa_id` the WhatsApp id it resolved to. */
  readonly contacts: readonly { readonly input: string; readonly wa_id: string }[];
  /** One entry, `id` being the "wamid.…" that webhooks report the message's statuses under. */
  readonly messages: readonly { readonly id: string }[];
}

/** A Graph API error, the shape every Cloud API failure takes. */
export interface WhatsAppError {
  /** "(#code) title" for most codes; Meta warns the titles will go, so we decide on `code`. */
  readonly message: string;
  /** "OAuthException" for almost everything Cloud API answers. */
  readonly type: string;
  readonly code: number;
  /** What went wrong, in more words than `message`. */
  readonly error_data?: { readonly messaging_product: 'whatsapp'; readonly details: string };
  /** Deprecated since Graph v16.0; still seen on token errors. */
  readonly error_subcode?: number;
  /** Meta's trace id of the request, what its support asks for. */
  readonly fbtrace_id: string;
}

/** Comes with a 4xx or 5xx HTTP status, which the classifier also takes. */
export interface WhatsAppErrorResponse {
  readonly error: WhatsAppError;
}

export type WhatsAppResponse = WhatsAppSuccessResponse | WhatsAppErrorResponse;

/** One error the Cloud API answers a send with, in wire form, and the HTTP status it comes with. */
export interface WhatsAppErrorEntry {
  readonly httpStatus: number;
  /** The wire error but for `fbtrace_id`, which is new on every request: see whatsAppErrorResponse. */
  readonly error: Omit<WhatsAppError, 'fbtrace_id'>;
  readonly meaning: string;
}

const graphError = (
  httpStatus: number,
  code: number,
  message: string,
  details: string,
  meaning: string,
  errorSubcode?: number,
): WhatsAppErrorEntry => ({
  httpStatus,
  error: {
    message,
    type: 'OAuthException',
    code,
    error_data: { messaging_product: 'whatsapp', details },
    ...(errorSubcode === undefined ? {} : { error_subcode: errorSubcode }),
  },
  meaning,
});

/**
 * The errors a send really meets, for emulators and docs to draw from. HTTP statuses are the ones Meta's
 * error-code table gives: 400 for the rate limits too (Graph does not use 429 for them), 401 for an
 * expired token, 500 for 131000, and 503 for 2 and 131016, the "temporarily unavailable" ones.
 */
export const WHATSAPP_ERRORS = {
  throughputLimit: graphError(
    400,
    130429,
    '(#130429) Rate limit hit',
    'Cloud API message throughput has been reached.',
    'The business number sends more messages a second than its throughput (80 by default).',
  ),
  pairRateLimit: graphError(
    400,
    131056,
    '(#131056) (Business Account, Consumer Account) pair rate limit hit',
    'Message failed to send because there were too many messages sent from this phone number to the same phone number in a short period of time.',
    'Too many messages to this one customer in a short time (about one every 6 seconds is allowed).',
  ),
  spamRateLimit: graphError(
    400,
    131048,
    '(#131048) Spam rate limit hit',
    'Message failed to send because there are restrictions on how many messages can be sent from this phone number. This may be because too many previous messages were blocked or flagged as spam.',
    'Customers blocked or reported earlier messages, so Meta restricts how many this number may send.',
  ),
  tooManyCalls: graphError(
    400,
    4,
    '(#4) Application request limit reached',
    'The app has reached its API call rate limit.',
    'Our Meta app made too many Graph API calls.',
  ),
  accountRateLimit: graphError(
    400,
    80007,
    '(#80007) Rate limit issues',
    'The WhatsApp Business Account has reached its rate limit.',
    'The WhatsApp Business Account made too many calls.',
  ),
  apiUnknown: graphError(
    400,
    1,
    '(#1) An unknown error occurred',
    'Invalid request or possible server error.',
    'Graph’s catch-all: a bad request or a server error, it doesn’t say which.',
  ),
  apiService: graphError(
    503,
    2,
    '(#2) An unexpected error has occurred. Please retry your request later.',
    'Temporary due to downtime or due to being overloaded.',
    'Graph is down or overloaded.',
  ),
  somethingWentWrong: graphError(
    500,
    131000,
    '(#131000) Something went wrong',
    'Message failed to send due to an unknown error.',
    'The Cloud API failed on its side without saying why.',
  ),
  serviceUnavailable: graphError(
    503,
    131016,
    '(#131016) Service unavailable',
    'A service is temporarily unavailable.',
    'A Cloud API service is temporarily down.',
  ),
  undeliverable: graphError(
    400,
    131026,
    '(#131026) Message Undeliverable',
    'Unable to deliver message. The recipient phone number is not a WhatsApp phone number, or the recipient has not accepted the latest Terms of Service, or uses an old WhatsApp version.',
    'The number is not on WhatsApp, or its owner cannot receive business messages.',
  ),
  reEngagement: graphError(
    400,
    131047,
    '(#131047) Re-engagement message',
    'Message failed to send because more than 24 hours have passed since the customer last replied to this number.',
    'The 24-hour customer service window is closed: outside it only approved templates may be sent.',
  ),
  invalidParameter: graphError(
    400,
    100,
    '(#100) Invalid parameter',
    'Unexpected key "preview" on param "text".',
    'The request has an unsupported or misspelled parameter.',
  ),
  requiredParameterMissing: graphError(
    400,
    131008,
    '(#131008) Required parameter is missing',
    "The parameter text['body'] is required.",
    'The request lacks a parameter the message type requires.',
  ),
  parameterValueInvalid: graphError(
    400,
    131009,
    '(#131009) Parameter value is not valid',
    "Param text['body'] must be at most 4096 characters long.",
    'A parameter has a value the API does not accept.',
  ),
  accessTokenExpired: graphError(
    401,
    190,
    'Error validating access token: Session has expired on Friday, 01-Mar-24 08:00:00 PST. The current time is Friday, 01-Mar-24 09:15:32 PST.',
    'Your access token has expired.',
    'Our access token expired: a new one must be configured.',
    463,
  ),
} as const satisfies Readonly<Record<string, WhatsAppErrorEntry>>;

/** The wire body of a catalogued error, with the trace id Meta would stamp on this request. */
export function whatsAppErrorResponse(entry: WhatsAppErrorEntry, fbtraceId: string): WhatsAppErrorResponse {
  return { error: { ...entry.error, fbtrace_id: fbtraceId } };
}

/** The send body for a message; our recipients are E.164, the API wants the same digits without "+". */
export function whatsAppSendRequest(message: OutgoingMessage): WhatsAppSendRequest {
  return {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    to: message.recipient.replace(/^\+/, ''),
    type: 'text',
    text: { preview_url: false, body: message.body },
  };
}

type Decision =
  | { readonly kind: 'rateLimited'; readonly retryAfterMs?: number }
  | { readonly kind: 'transient' }
  | { readonly kind: 'permanent' }
  | { readonly kind: 'account' };

/**
 * What a known error code means for the message; any code not here is retried, as is any HTTP 5xx that
 * is not a rate limit (the server may not have finished judging the message).
 *
 * | code                      | outcome             | why                                                      |
 * |---------------------------|---------------------|----------------------------------------------------------|
 * | 130429, 131048, 4, 80007  | retry, rate-limited | slow down; no wait is given, so our backoff sets it      |
 * | 131056                    | retry, rate-limited | the pair limit: about one message a customer every 6 s   |
 * | 1, 2, 131000, 131016      | retry               | their outage, not this message                           |
 * | 190, 0, 10, 104, 200-299 | account_failed      | the token is expired, revoked, missing or lacks the      |
 * | 131005, 131031, 100/33    |                     | permission, or the phone number id is wrong: the         |
 * |                           |                     | account's, not the message's; once fixed, it can go      |
 * | 131026, 131047            | failed              | not on WhatsApp, or the 24-hour window is shut           |
 * | 100, 131008, 131009       | failed              | this request is invalid: sending it again cannot help    |
 * | any other                 | retry               | we don't drop a message on an error we don't know        |
 */
const DECISIONS: Readonly<Record<number, Decision>> = {
  130429: { kind: 'rateLimited' },
  131048: { kind: 'rateLimited' },
  4: { kind: 'rateLimited' },
  80007: { kind: 'rateLimited' },
  131056: { kind: 'rateLimited', retryAfterMs: 6_000 },
  1: { kind: 'transient' },
  2: { kind: 'transient' },
  131000: { kind: 'transient' },
  131016: { kind: 'transient' },
  190: { kind: 'account' },
  0: { kind: 'account' },
  10: { kind: 'account' },
  131005: { kind: 'account' },
  131031: { kind: 'account' },
  131026: { kind: 'permanent' },
  131047: { kind: 'permanent' },
  100: { kind: 'permanent' },
  131008: { kind: 'permanent' },
  131009: { kind: 'permanent' },
};

const MALFORMED = 'malformed_response';

/**
 * Answers about the account rather than the message, beyond the codes in DECISIONS: 104 (no access token),
 * 200-299 (Graph's API permission range), and 100 with subcode 33 (no such phone number id: the account's
 * phone_number_id is wrong, which would otherwise fail every message of it for good).
 */
function accountFailure(code: number, subcode: number | undefined): boolean {
  return code === 104 || (code >= 200 && code <= 299) || (code === 100 && subcode === 33);
}

/** What a send's answer means for the message: the HTTP status and body, as the API returned them. */
export function whatsAppOutcome(httpStatus: number, body: WhatsAppResponse): SendResult {
  const error: unknown = typeof body === 'object' && body !== null && 'error' in body ? body.error : undefined;

  if (error === undefined) {
    const id: unknown = isSuccessful(httpStatus) ? (body as WhatsAppSuccessResponse)?.messages?.[0]?.id : undefined;
    if (typeof id === 'string' && id !== '') return { outcome: 'sent', providerMessageId: id };
    return {
      outcome: 'retry',
      code: MALFORMED,
      description: isSuccessful(httpStatus)
        ? `HTTP ${httpStatus} without messages[0].id`
        : `HTTP ${httpStatus} without a Graph error object`,
    };
  }
  if (typeof error !== 'object' || error === null || typeof (error as WhatsAppError).code !== 'number') {
    return { outcome: 'retry', code: MALFORMED, description: `HTTP ${httpStatus} with an error but no numeric code` };
  }

  const { code: wireCode, message, error_data, error_subcode } = error as WhatsAppError;
  const code = String(wireCode);
  const text = typeof message === 'string' ? message : '';
  const description = error_data?.details ? `${text}: ${error_data.details}` : text;
  const decision: Decision | undefined = accountFailure(wireCode, error_subcode)
    ? { kind: 'account' }
    : DECISIONS[wireCode];

  if (decision?.kind === 'rateLimited') {
    return decision.retryAfterMs === undefined
      ? { outcome: 'retry', code, description, rateLimited: true }
      : { outcome: 'retry', code, description, rateLimited: true, retryAfterMs: decision.retryAfterMs };
  }
  if (decision?.kind === 'permanent' && httpStatus < 500) return { outcome: 'failed', code, description };
  if (decision?.kind === 'account') return { outcome: 'account_failed', code, description };
  return { outcome: 'retry', code, description };
}

const isSuccessful = (httpStatus: number) => httpStatus >= 200 && httpStatus < 300;
