import type { SendResult } from '../messenger-provider';
import type { ViberResponse, ViberStatus } from './viber-rest-api';
import { VIBER_STATUSES, viberOutcome, viberSendMessageRequest } from './viber-rest-api';

describe('viberSendMessageRequest', () => {
  it('sends a text from our bot to the receiver, tracked by our message id', () => {
    const message = {
      id: '0b6e4c1e-6f1a-4bb4-9d3c-1f0f6b7a2c11',
      recipient: 'pttm25kSGUo1919sBORWyA==',
      body: 'hello',
      sender: null,
    };
    expect(viberSendMessageRequest(message, 'Acme Bot')).toStrictEqual({
      receiver: 'pttm25kSGUo1919sBORWyA==',
      min_api_version: 1,
      sender: { name: 'Acme Bot' },
      tracking_data: '0b6e4c1e-6f1a-4bb4-9d3c-1f0f6b7a2c11',
      type: 'text',
      text: 'hello',
    });
  });
});

describe('viberOutcome', () => {
  describe('every documented status', () => {
    const otherStatus = 25;
    const entryOf = (entry: ViberStatus | ((status: number) => ViberStatus)) =>
      typeof entry === 'function' ? entry(otherStatus) : entry;

    const retry = (code: string, description: string): SendResult => ({ outcome: 'retry', code, description });
    const failed = (code: string, description: string): SendResult => ({ outcome: 'failed', code, description });
    const accountFailed = (code: string, description: string): SendResult => ({
      outcome: 'account_failed',
      code,
      description,
    });

    // Adding a status to the catalogue without deciding what it means fails the tests below.
    const decisions: Record<keyof typeof VIBER_STATUSES, SendResult> = {
      ok: { outcome: 'sent', providerMessageId: '5741311803571721087' },
      invalidUrl: retry('1', 'invalidUrl'),
      invalidAuthToken: accountFailed('2', 'invalidAuthToken'),
      badData: failed('3', 'badData'),
      missingData: failed('4', 'missingData'),
      receiverNotRegistered: failed('5', 'receiverNotRegistered'),
      receiverNotSubscribed: failed('6', 'receiverNotSubscribed'),
      publicAccountBlocked: failed('7', 'publicAccountBlocked'),
      publicAccountNotFound: accountFailed('8', 'publicAccountNotFound'),
      publicAccountSuspended: failed('9', 'publicAccountSuspended'),
      webhookNotSet: retry('10', 'webhookNotSet'),
      receiverNoSuitableDevice: failed('11', 'receiverNoSuitableDevice'),
      tooManyRequests: { outcome: 'retry', code: '12', description: 'tooManyRequests', rateLimited: true },
      apiVersionNotSupported: retry('13', 'apiVersionNotSupported'),
      incompatibleWithVersion: retry('14', 'incompatibleWithVersion'),
      publicAccountNotAuthorized: failed('15', 'publicAccountNotAuthorized'),
      inChatReplyMessageNotAllowed: failed('16', 'inChatReplyMessageNotAllowed'),
      publicAccountIsNotInline: failed('17', 'publicAccountIsNotInline'),
      noPublicChat: failed('18', 'noPublicChat'),
      cannotSendBroadcast: failed('19', 'cannotSendBroadcast'),
      broadcastNotAllowed: failed('20', 'broadcastNotAllowed'),
      unsupportedCountry: failed('21', 'unsupportedCountry'),
      paymentUnsupported: failed('22', 'paymentUnsupported'),
      freeMessagesExceeded: retry('23', 'freeMessagesExceeded'),
      noBalance: retry('24', 'noBalance'),
      other: retry('25', 'General error'),
    };

    it('decides exactly the catalogued statuses', () => {
      expect(Object.keys(decisions).sort()).toEqual(Object.keys(VIBER_STATUSES).sort());
    });

    it('catalogues each of the documented statuses 0–24 once, and "other" beyond them', () => {
      const statuses = Object.values(VIBER_STATUSES).map((entry) => entryOf(entry).response.status);
      expect(statuses).toEqual([...Array.from({ length: 25 }, (_, status) => status), otherStatus]);
    });

    it.each(Object.keys(VIBER_STATUSES) as (keyof typeof VIBER_STATUSES)[])('%s', (name) => {
      const { response, meaning } = entryOf(VIBER_STATUSES[name]);
      expect(decisions[name]).toBeDefined();
      expect(viberOutcome(response)).toStrictEqual(decisions[name]);
      expect(meaning).toMatch(/^\S[^\n]*$/);
    });
  });

  it.each([
    [26, 'someNewError'],
    [99, 'General error'],
    [-1, 'internalError'],
  ])('retries an undocumented status %i (%p): a general error is not known to be the message’s', (code, text) => {
    expect(viberOutcome({ status: code, status_message: text })).toStrictEqual({
      outcome: 'retry',
      code: String(code),
      description: text,
    });
  });

  it('decides on the status, not its wording, which varies on the wire', () => {
    expect(viberOutcome({ status: 6, status_message: 'notSubscribed' })).toStrictEqual({
      outcome: 'failed',
      code: '6',
      description: 'notSubscribed',
    });
    expect(viberOutcome({ status: 12, status_message: 'Too many requests' })).toMatchObject({
      outcome: 'retry',
      rateLimited: true,
    });
  });

  it('keeps every digit of a 64-bit message_token', () => {
    const token = '18446744073709551615'; // 2^64 - 1: JSON.parse would make it 18446744073709552000
    expect(viberOutcome({ status: 0, status_message: 'ok', message_token: token })).toStrictEqual({
      outcome: 'sent',
      providerMessageId: token,
    });
  });

  describe('an answer it cannot read is retried, never taken as sent or failed', () => {
    const unreadable = (body: unknown) => body as ViberResponse;

    it.each([
      ['ok without a message_token', { status: 0, status_message: 'ok' }],
      ['ok with an empty message_token', { status: 0, status_message: 'ok', message_token: '' }],
      // What plain JSON.parse makes of the token: already rounded, so not to be recorded as the id.
      ['ok with the token as a number', { status: 0, status_message: 'ok', message_token: 5741311803571721000 }],
      ['ok with the token as a rounded number’s text', { status: 0, status_message: 'ok', message_token: '5.74e+18' }],
      ['a status that is not a number', { status: '0', status_message: 'ok', message_token: '5741311803571721087' }],
      ['a status that is not an integer', { status: 0.5, status_message: 'ok' }],
      ['no status', { status_message: 'ok', message_token: '5741311803571721087' }],
      ['null', null],
    ])('%s', (_, body) => {
      expect(viberOutcome(unreadable(body))).toStrictEqual({
        outcome: 'retry',
        code: 'malformed_response',
        description: expect.any(String),
      });
    });
  });
});
