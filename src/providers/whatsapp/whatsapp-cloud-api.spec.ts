import type { WhatsAppErrorResponse, WhatsAppResponse } from './whatsapp-cloud-api';
import { WHATSAPP_ERRORS, whatsAppErrorResponse, whatsAppOutcome, whatsAppSendRequest } from './whatsapp-cloud-api';

const TRACE = 'AbCdEfGh1234567890_xyz';

describe('whatsAppSendRequest', () => {
  it('sends a text to the recipient’s number without the "+", with no link preview', () => {
    const message = { id: 'message-1', recipient: '+14155552671', body: 'see https://example.com', sender: null };
    expect(whatsAppSendRequest(message)).toStrictEqual({
      messaging_product: 'whatsapp',
      recipient_type: 'individual',
      to: '14155552671',
      type: 'text',
      text: { preview_url: false, body: 'see https://example.com' },
    });
  });

  it('carries no idempotency key: the API has none, so our id does not travel', () => {
    const request = whatsAppSendRequest({ id: 'message-1', recipient: '+380501234567', body: 'hi', sender: null });
    expect(JSON.stringify(request)).not.toContain('message-1');
  });
});

describe('whatsAppOutcome', () => {
  it('an accepted message carries its wamid as the id', () => {
    const body: WhatsAppResponse = {
      messaging_product: 'whatsapp',
      contacts: [{ input: '14155552671', wa_id: '14155552671' }],
      messages: [{ id: 'wamid.HBgLMTQxNTU1NTI2NzEVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA' }],
    };
    expect(whatsAppOutcome(200, body)).toStrictEqual({
      outcome: 'sent',
      providerMessageId: 'wamid.HBgLMTQxNTU1NTI2NzEVAgARGBI5QTNDQTVCM0Q0Q0Q2RTY3RTcA',
    });
  });

  describe('every catalogued error, with the HTTP status it comes with', () => {
    type Expected =
      { outcome: 'failed' | 'account_failed' } | { outcome: 'retry'; rateLimited?: true; retryAfterMs?: number };

    // Adding an error to the catalogue without deciding what it means fails the tests below.
    const decisions: Record<keyof typeof WHATSAPP_ERRORS, [httpStatus: number, code: string, expected: Expected]> = {
      throughputLimit: [400, '130429', { outcome: 'retry', rateLimited: true }],
      pairRateLimit: [400, '131056', { outcome: 'retry', rateLimited: true, retryAfterMs: 6_000 }],
      spamRateLimit: [400, '131048', { outcome: 'retry', rateLimited: true }],
      tooManyCalls: [400, '4', { outcome: 'retry', rateLimited: true }],
      accountRateLimit: [400, '80007', { outcome: 'retry', rateLimited: true }],
      apiUnknown: [400, '1', { outcome: 'retry' }],
      apiService: [503, '2', { outcome: 'retry' }],
      somethingWentWrong: [500, '131000', { outcome: 'retry' }],
      serviceUnavailable: [503, '131016', { outcome: 'retry' }],
      accessTokenExpired: [401, '190', { outcome: 'account_failed' }],
      undeliverable: [400, '131026', { outcome: 'failed' }],
      reEngagement: [400, '131047', { outcome: 'failed' }],
      invalidParameter: [400, '100', { outcome: 'failed' }],
      requiredParameterMissing: [400, '131008', { outcome: 'failed' }],
      parameterValueInvalid: [400, '131009', { outcome: 'failed' }],
    };

    it('decides exactly the catalogued errors', () => {
      expect(Object.keys(decisions).sort()).toEqual(Object.keys(WHATSAPP_ERRORS).sort());
    });

    it.each(Object.keys(WHATSAPP_ERRORS) as (keyof typeof WHATSAPP_ERRORS)[])('%s', (name) => {
      const entry = WHATSAPP_ERRORS[name];
      const [httpStatus, code, expected] = decisions[name];
      expect(entry.httpStatus).toBe(httpStatus);
      expect(entry.error.type).toBe('OAuthException');
      expect(entry.meaning).toMatch(/^\S[^\n]*$/);
      expect(whatsAppOutcome(entry.httpStatus, whatsAppErrorResponse(entry, TRACE))).toStrictEqual({
        ...expected,
        code,
        description: `${entry.error.message}: ${entry.error.error_data?.details}`,
      });
    });
  });

  it('describes an error in Meta’s words: the message, then the details', () => {
    const result = whatsAppOutcome(400, whatsAppErrorResponse(WHATSAPP_ERRORS.reEngagement, TRACE));
    expect(result).toStrictEqual({
      outcome: 'failed',
      code: '131047',
      description:
        '(#131047) Re-engagement message: Message failed to send because more than 24 hours have passed since the customer last replied to this number.',
    });
  });

  it('describes an error without details by its message alone', () => {
    const body: WhatsAppErrorResponse = {
      error: { message: '(#131026) Message Undeliverable', type: 'OAuthException', code: 131026, fbtrace_id: TRACE },
    };
    expect(whatsAppOutcome(400, body)).toStrictEqual({
      outcome: 'failed',
      code: '131026',
      description: '(#131026) Message Undeliverable',
    });
  });

  it('stamps the wire error with the request’s trace id, leaving the rest as catalogued', () => {
    expect(whatsAppErrorResponse(WHATSAPP_ERRORS.throughputLimit, TRACE)).toStrictEqual({
      error: {
        message: '(#130429) Rate limit hit',
        type: 'OAuthException',
        code: 130429,
        error_data: { messaging_product: 'whatsapp', details: 'Cloud API message throughput has been reached.' },
        fbtrace_id: TRACE,
      },
    });
  });

  describe('errors it does not know', () => {
    const unknown = (code: number): WhatsAppErrorResponse => ({
      error: { message: `(#${code}) Something new`, type: 'OAuthException', code, fbtrace_id: TRACE },
    });

    it.each([400, 403, 404, 500, 502])('are retried, not dropped, with HTTP %i', (httpStatus) => {
      expect(whatsAppOutcome(httpStatus, unknown(135000))).toStrictEqual({
        outcome: 'retry',
        code: '135000',
        description: '(#135000) Something new',
      });
    });
  });

  it.each([
    [403, 10, undefined],
    [403, 200, undefined],
    [403, 299, undefined],
    [401, 0, undefined],
    [403, 131005, undefined],
    [403, 131031, undefined],
    [400, 104, undefined],
    [400, 100, 33],
  ] as [number, number, number | undefined][])(
    'takes HTTP %i code %i as the account’s failure, not the message’s',
    (httpStatus, code, subcode) => {
      const answer: WhatsAppErrorResponse = {
        error: {
          message: `(#${code}) Permission`,
          type: 'OAuthException',
          code,
          fbtrace_id: TRACE,
          ...(subcode === undefined ? {} : { error_subcode: subcode }),
        },
      };
      expect(whatsAppOutcome(httpStatus, answer)).toMatchObject({ outcome: 'account_failed', code: String(code) });
    },
  );

  it('retries a permanent code that comes with a 5xx: the server may not have finished with the message', () => {
    const body = whatsAppErrorResponse(WHATSAPP_ERRORS.invalidParameter, TRACE);
    expect(whatsAppOutcome(500, body)).toMatchObject({ outcome: 'retry', code: '100' });
  });

  it('keeps a rate limit a rate limit whatever HTTP status carries it', () => {
    const body = whatsAppErrorResponse(WHATSAPP_ERRORS.pairRateLimit, TRACE);
    expect(whatsAppOutcome(503, body)).toMatchObject({ outcome: 'retry', rateLimited: true, retryAfterMs: 6_000 });
  });

  describe('an answer it cannot read is retried, never taken as sent or failed', () => {
    const unreadable = (body: unknown) => body as WhatsAppResponse;
    const contacts = [{ input: '14155552671', wa_id: '14155552671' }];
    const accepted = { messaging_product: 'whatsapp', contacts, messages: [{ id: 'wamid.HBgL' }] };

    it.each([
      ['a success without messages', 200, { messaging_product: 'whatsapp', contacts }],
      ['a success with no message in messages', 200, { messaging_product: 'whatsapp', contacts, messages: [] }],
      ['a success whose message has no id', 200, { messaging_product: 'whatsapp', contacts, messages: [{}] }],
      ['a success whose id is empty', 200, { messaging_product: 'whatsapp', contacts, messages: [{ id: '' }] }],
      ['an error status with no error object', 502, { message: 'Bad Gateway' }],
      ['an error whose code is not a number', 400, { error: { message: 'x', type: 'OAuthException', code: '131026' } }],
      ['an error status with a message id', 500, accepted],
      ['no body at all', 200, null],
    ])('%s', (_, httpStatus, body) => {
      expect(whatsAppOutcome(httpStatus, unreadable(body))).toStrictEqual({
        outcome: 'retry',
        code: 'malformed_response',
        description: expect.stringContaining(`HTTP ${httpStatus}`),
      });
    });
  });
});
