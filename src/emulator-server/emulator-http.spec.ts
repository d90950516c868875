import { parseJsonExact } from '../providers/live/exact-json';
import { VIBER_STATUSES } from '../providers/viber/viber-rest-api';
import { idempotencyKeyOf, redactBotToken } from './emulator-http';
import { viberWire } from '../providers/viber/viber-rest-api.server';

describe('redactBotToken', () => {
  it.each([
    ['/bot123456:AAE-x_y/sendMessage', '/bot[REDACTED]/sendMessage'],
    ['/bot123456:AAE/sendMessage?chat_id=1', '/bot[REDACTED]/sendMessage?chat_id=1'],
    ['/bot/sendMessage', '/bot[REDACTED]/sendMessage'],
    ['/pa/send_message', '/pa/send_message'],
    ['/v21.0/106540352242922/messages', '/v21.0/106540352242922/messages'],
  ])('%s is logged as %s', (url, logged) => {
    expect(redactBotToken(url)).toBe(logged);
  });
});

describe('viberWire', () => {
  it('writes message_token as a bare JSON number, which reads back exactly', () => {
    const { status, json } = viberWire(VIBER_STATUSES.ok.response);
    expect(status).toBe(200);
    expect(json).toContain('"message_token":5741311803571721087');
    expect(parseJsonExact(json)).toStrictEqual(VIBER_STATUSES.ok.response);
  });

  it('writes an answer without a token as it is, always with HTTP 200', () => {
    expect(viberWire(VIBER_STATUSES.invalidAuthToken.response)).toStrictEqual({
      status: 200,
      json: '{"status":2,"status_message":"invalidAuthToken"}',
    });
  });
});

describe('idempotencyKeyOf', () => {
  it.each([
    [undefined, undefined],
    ['', undefined],
    ['0b6e4c1e-6f1a-4bb4-9d3c-1f0f6b7a2c11', '0b6e4c1e-6f1a-4bb4-9d3c-1f0f6b7a2c11'],
    ['k'.repeat(64), 'k'.repeat(64)],
    ['k'.repeat(65), null],
    ['two words', null],
    [['a', 'b'], null],
  ])('header %p is key %p', (header, key) => {
    expect(idempotencyKeyOf({ headers: { 'idempotency-key': header } })).toBe(key);
  });
});
