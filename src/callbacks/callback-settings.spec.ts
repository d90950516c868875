import { randomBytes } from 'node:crypto';
import { Webhook } from 'standardwebhooks';
import {
  callbackSecretTexts,
  callbackSettingsProblems,
  parseCallbackSecrets,
  parseCallbackUrls,
} from './callback-settings';
import { signWebhook } from './webhook-signature';

const newSecret = (bytes = 32) => `whsec_${randomBytes(bytes).toString('base64')}`;

describe('parseCallbackSecrets', () => {
  it('reads client:secret pairs; spaces around entries are dropped', () => {
    const [billing, crm] = [newSecret(), newSecret()];
    const { secrets, problems } = parseCallbackSecrets(` billing:${billing} , crm:${crm} `);
    expect(problems).toEqual([]);
    expect([...secrets.keys()]).toEqual(['billing', 'crm']);
    const headers = signWebhook('evt_1', '{}', secrets.get('crm')!, new Date());
    expect(() => new Webhook(crm).verify('{}', headers)).not.toThrow();
    expect(() => new Webhook(billing).verify('{}', headers)).toThrow();
  });

  it('gives a client listed twice both secrets, in order, so it can rotate', () => {
    const [next, previous] = [newSecret(), newSecret()];
    const { secrets, problems } = parseCallbackSecrets(`crm:${next},crm:${previous}`);
    expect(problems).toEqual([]);
    expect(secrets.get('crm')).toHaveLength(2);
    const headers = signWebhook('evt_1', '{}', secrets.get('crm')!, new Date());
    for (const secret of [next, previous]) expect(() => new Webhook(secret).verify('{}', headers)).not.toThrow();
  });

  it.each([
    { value: 'crm:' + newSecret() + ',', problem: 'entry 2 is empty' },
    { value: 'crm' + newSecret(), problem: 'entry 1 has no ":" between the client name and the secret' },
    { value: ':' + newSecret(), problem: 'entry 1: the client name must be 1-64 letters' },
    {
      value: 'crm:' + randomBytes(32).toString('base64'),
      problem: 'entry 1 (crm): the secret must start with "whsec_"',
    },
    { value: 'crm:whsec_not*base64', problem: 'entry 1 (crm): the secret must be "whsec_" then standard base64' },
    {
      value: 'ok:' + newSecret() + ',crm:' + newSecret(16),
      problem: 'entry 2 (crm): the secret decodes to 16 bytes; it must be 24 to 64',
    },
  ])('refuses: $problem', ({ value, problem }) => {
    expect(parseCallbackSecrets(value).problems).toEqual([expect.stringContaining(problem)]);
  });

  it('refuses the same secret twice, for one client or for two, naming clients only', () => {
    const shared = newSecret();
    expect(parseCallbackSecrets(`crm:${shared},crm:${shared}`).problems).toEqual([
      'entry 2 (crm): the same secret is listed twice for "crm"',
    ]);
    expect(parseCallbackSecrets(`crm:${shared},billing:${shared}`).problems).toEqual([
      '"crm" and "billing" have the same secret',
    ]);
  });

  it('never quotes a secret in its problems', () => {
    const secrets = [
      newSecret(),
      newSecret(16),
      `whsec_-${randomBytes(30).toString('base64url').slice(1)}`,
      randomBytes(32).toString('base64'),
    ];
    const value = `a:${secrets[0]},b:${secrets[0]},c:${secrets[1]},d:${secrets[2]},e:${secrets[3]},${secrets[0]}`;
    const { problems } = parseCallbackSecrets(value);
    expect(problems).toHaveLength(5);
    for (const secret of secrets) expect(problems.join('\n')).not.toContain(secret.replace('whsec_', '').slice(0, 8));
  });
});

describe('parseCallbackUrls', () => {
  const strict = { allowPrivate: false };

  it('reads client:url pairs, splitting each at its first colon', () => {
    const { urls, problems } = parseCallbackUrls(
      'crm:https://hooks.example.com:8443/in?a=b, billing:http://billing.example.org/cb',
      strict,
    );
    expect(problems).toEqual([]);
    expect(urls).toEqual(
      new Map([
        ['crm', 'https://hooks.example.com:8443/in?a=b'],
        ['billing', 'http://billing.example.org/cb'],
      ]),
    );
  });

  it.each([
    { value: 'crm:ftp://example.com/', problem: 'entry 1 (crm): the URL must be an http or https URL' },
    { value: 'crm:hooks.example.com', problem: 'entry 1 (crm): the URL is not a valid absolute URL' },
    {
      value: `crm:https://example.com/${'a'.repeat(2_100)}`,
      problem: 'entry 1 (crm): the URL must be at most 2048 characters',
    },
    {
      value: 'crm:http://10.0.0.7/hook',
      problem:
        'entry 1 (crm): the URL must not point to a private-network address (CALLBACK_ALLOW_PRIVATE_NETWORKS=true allows it)',
    },
    { value: 'crm:http://localhost:8080/', problem: 'entry 1 (crm): the URL must not point to a loopback address' },
    {
      value: 'crm:https://a.example.com/,crm:https://b.example.com/',
      problem: 'entry 2 (crm): "crm" already has a URL',
    },
    { value: 'crm:https://example.com/?list=1,2', problem: 'entry 2 has no ":" between the client name and the URL' },
  ])('refuses: $problem', ({ value, problem }) => {
    expect(parseCallbackUrls(value, strict).problems).toEqual([expect.stringContaining(problem)]);
  });

  it('accepts internal receivers when private networks are allowed', () => {
    const { urls, problems } = parseCallbackUrls('crm:http://10.0.0.7/hook,ops:http://localhost:8080/', {
      allowPrivate: true,
    });
    expect(problems).toEqual([]);
    expect(urls.size).toBe(2);
  });
});

describe('callbackSettingsProblems', () => {
  it('refuses a default URL for a client with no secret to sign with', () => {
    const { secrets } = parseCallbackSecrets(`crm:${newSecret()}`);
    const { urls } = parseCallbackUrls('crm:https://a.example.com/,billing:https://b.example.com/', {
      allowPrivate: false,
    });
    expect(callbackSettingsProblems(secrets, urls)).toEqual([
      'CALLBACK_URLS: "billing" has a URL but no secret in CALLBACK_SECRETS to sign its callbacks with',
    ]);
  });

  it('is content with secrets that have no default URL (their clients send callback_url)', () => {
    const { secrets } = parseCallbackSecrets(`crm:${newSecret()},billing:${newSecret()}`);
    expect(callbackSettingsProblems(secrets, new Map([['crm', 'https://a.example.com/']]))).toEqual([]);
  });
});

describe('callbackSecretTexts', () => {
  it('gives the scrubber each secret as written and its base64 part, refused ones too', () => {
    expect(callbackSecretTexts('crm:whsec_QUJD, shop:not-a-secret ,bad')).toEqual([
      'whsec_QUJD',
      'QUJD',
      'not-a-secret',
    ]);
  });
});
