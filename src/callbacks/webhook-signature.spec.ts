import { randomBytes } from 'node:crypto';
import { inspect } from 'node:util';
import { Webhook, WebhookVerificationError } from 'standardwebhooks';
import { signWebhook, WebhookSecret } from './webhook-signature';

/** A fresh `whsec_` secret of `bytes` random bytes. */
const newSecret = (bytes = 32) => `whsec_${randomBytes(bytes).toString('base64')}`;

function parsed(text: string): WebhookSecret {
  const secret = WebhookSecret.parse(text);
  if (!(secret instanceof WebhookSecret)) throw new Error(secret.problem);
  return secret;
}

const body = JSON.stringify({
  type: 'message.sent',
  timestamp: '2026-01-02T03:04:05.678Z',
  data: { id: '0b4f6a2e-1c1d-4c55-9a53-3f0a3f7b1d10', status: 'sent', body: 'Привет 👋 — "quotes" & <tags>' },
});

describe('signWebhook, verified with the Standard Webhooks library', () => {
  const text = newSecret();
  const secret = parsed(text);

  it('gives headers a receiver verifies, getting the body back', () => {
    const headers = signWebhook('evt_2KWPBgLlAfxdpx2AI54pPJ85f4W', body, [secret], new Date());
    expect(new Webhook(text).verify(body, headers)).toEqual(JSON.parse(body));
  });

  it('signs exactly what the library signs: `v1,` and base64 HMAC-SHA256 of "id.timestamp.body"', () => {
    const now = new Date('2026-01-02T03:04:05.678Z');
    const headers = signWebhook('evt_1', body, [secret], now);
    expect(headers['webhook-signature']).toBe(new Webhook(text).sign('evt_1', now, body));
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]{43}=$/);
  });

  it('keeps the event id on every attempt and makes the timestamp (whole seconds) and signature afresh', () => {
    const first = new Date();
    const retry = new Date(first.getTime() + 90_000);
    const a = signWebhook('evt_retried', body, [secret], first);
    const b = signWebhook('evt_retried', body, [secret], retry);
    expect(a['webhook-id']).toBe('evt_retried');
    expect(b['webhook-id']).toBe('evt_retried');
    expect(a['webhook-timestamp']).toBe(String(Math.floor(first.getTime() / 1000)));
    expect(Number(b['webhook-timestamp']) - Number(a['webhook-timestamp'])).toBe(90);
    expect(b['webhook-signature']).not.toBe(a['webhook-signature']);
    const verifier = new Webhook(text);
    expect(() => verifier.verify(body, a)).not.toThrow();
    expect(() => verifier.verify(body, b)).not.toThrow();
  });

  it('is refused by verifiers when the attempt is signed more than 5 minutes before it is checked', () => {
    const stale = signWebhook('evt_old', body, [secret], new Date(Date.now() - 6 * 60_000));
    expect(() => new Webhook(text).verify(body, stale)).toThrow(/too old/);
  });

  it.each([
    ['body', { body: body.replace('sent', 'fail') }],
    ['id', { id: 'evt_other' }],
    ['timestamp', { shift: 1 }],
  ])(
    'is refused by verifiers when the %s is changed',
    (_what, change: { body?: string; id?: string; shift?: number }) => {
      const headers = signWebhook('evt_tamper', body, [secret], new Date());
      const sent = {
        ...headers,
        'webhook-id': change.id ?? headers['webhook-id'],
        'webhook-timestamp': String(Number(headers['webhook-timestamp']) + (change.shift ?? 0)),
      };
      expect(() => new Webhook(text).verify(change.body ?? body, sent)).toThrow(WebhookVerificationError);
    },
  );

  it('is refused by a verifier holding another secret', () => {
    const headers = signWebhook('evt_1', body, [secret], new Date());
    expect(() => new Webhook(newSecret()).verify(body, headers)).toThrow('No matching signature found');
  });

  it('refuses an event id the specification does not allow, and signing with no secret', () => {
    expect(() => signWebhook('evt.1', body, [secret], new Date())).toThrow(/webhook id/);
    expect(() => signWebhook('', body, [secret], new Date())).toThrow(/webhook id/);
    expect(() => signWebhook('evt_1', body, [], new Date())).toThrow(/at least one secret/);
  });
});

describe('secret rotation', () => {
  const oldText = newSecret();
  const newText = newSecret(24);
  const headers = signWebhook('evt_rotating', body, [parsed(newText), parsed(oldText)], new Date());

  it('sends one `v1,` signature per secret, space-separated', () => {
    expect(headers['webhook-signature'].split(' ')).toEqual([
      expect.stringMatching(/^v1,/),
      expect.stringMatching(/^v1,/),
    ]);
  });

  it('verifies for a receiver that still holds the old secret, and for one that already holds the new', () => {
    expect(new Webhook(oldText).verify(body, headers)).toEqual(JSON.parse(body));
    expect(new Webhook(newText).verify(body, headers)).toEqual(JSON.parse(body));
  });

  it('still verifies for no one else', () => {
    expect(() => new Webhook(newSecret()).verify(body, headers)).toThrow(WebhookVerificationError);
  });
});

describe('WebhookSecret.parse', () => {
  it.each([24, 32, 64])('accepts a secret of %i random bytes', (bytes) => {
    expect(WebhookSecret.parse(newSecret(bytes))).toBeInstanceOf(WebhookSecret);
  });

  const b64 = (bytes: number) => randomBytes(bytes).toString('base64');
  it.each([
    ['without the prefix', b64(32), /must start with "whsec_"/],
    ['with only the prefix', 'whsec_', /standard base64/],
    ['in URL-safe base64', `whsec_${randomBytes(33).toString('base64url').replace(/^./, '-')}`, /standard base64/],
    ['without its padding', `whsec_${b64(32).replace(/=+$/, '')}`, /standard base64/],
    ['with a space inside', `whsec_${b64(15)} ${b64(15)}`, /standard base64/],
    ['of 23 bytes', `whsec_${b64(23)}`, /decodes to 23 bytes; it must be 24 to 64/],
    ['of 65 bytes', `whsec_${b64(65)}`, /decodes to 65 bytes; it must be 24 to 64/],
  ])('refuses a secret %s, without quoting it', (_case, text, problem) => {
    const result = WebhookSecret.parse(text);
    expect(result).toEqual({ problem: expect.stringMatching(problem) });
    const encoded = text.replace(/^whsec_/, '');
    if (encoded.length > 0) expect(JSON.stringify(result)).not.toContain(encoded.slice(0, 8));
  });

  it('shows its key to no log: JSON, inspect, String and templates print a placeholder', () => {
    const text = newSecret();
    const secret = parsed(text);
    const key = text.slice('whsec_'.length);
    const hex = Buffer.from(key, 'base64').toString('hex');
    for (const shown of [
      JSON.stringify({ secrets: [secret] }),
      inspect(secret),
      inspect({ secret }, { showHidden: true }),
      String(secret),
      // eslint-disable-next-line @typescript-eslint/restrict-template-expressions -- the spec checks this very spelling
      `${secret}`,
    ]) {
      expect(shown).toContain('[secret]');
      expect(shown).not.toContain(key.slice(0, 8));
      expect(shown).not.toContain(hex.slice(0, 8));
    }
  });

  it('tells equal keys apart from different ones', () => {
    const text = newSecret();
    expect(parsed(text).equals(parsed(text))).toBe(true);
    expect(parsed(text).equals(parsed(newSecret()))).toBe(false);
  });
});
