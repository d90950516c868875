import { loadConfig } from '../config/app-config';
import { ApiKeysService } from './api-keys.service';

const BILLING = 'billing-secret-0123456789';
const CRM = 'crm-secret-abcdefghijklmn';

describe('ApiKeysService', () => {
  const keys = new ApiKeysService(loadConfig({ API_KEYS: `billing:${BILLING},crm:${CRM}` }));

  it('tells the client by its bearer token', () => {
    expect(keys.authenticate(`Bearer ${BILLING}`)).toEqual({ client: 'billing' });
    expect(keys.authenticate(`Bearer ${CRM}`)).toEqual({ client: 'crm' });
  });

  it('takes the scheme in any case, as RFC 7235 says', () => {
    expect(keys.authenticate(`bearer ${CRM}`)).toEqual({ client: 'crm' });
    expect(keys.authenticate(`BEARER ${CRM}`)).toEqual({ client: 'crm' });
  });

  it.each([
    ['no header', undefined, 'is missing'],
    ['an empty header', '', 'is missing'],
    ['a key without the scheme', BILLING, 'must be "Bearer <API key>"'],
    [
      'Basic credentials',
      `Basic ${Buffer.from(`billing:${BILLING}`).toString('base64')}`,
      'must be "Bearer <API key>"',
    ],
    ['the scheme alone', 'Bearer', 'must be "Bearer <API key>"'],
    ['two tokens', `Bearer ${BILLING} ${CRM}`, 'must be "Bearer <API key>"'],
    ['a wrong key of the same length', `Bearer ${BILLING.slice(0, -1)}X`, 'is not a valid API key'],
    ['a prefix of a key', `Bearer ${BILLING.slice(0, 10)}`, 'is not a valid API key'],
    ['a key with more after it', `Bearer ${BILLING}x`, 'is not a valid API key'],
    ['the name instead of the key', 'Bearer billing', 'is not a valid API key'],
  ])('refuses %s', (_, header, problem) => {
    const authentication = keys.authenticate(header);
    expect(authentication).toEqual({ problem: expect.stringContaining(problem) });
  });

  it('is closed when keys are configured', () => {
    expect(keys.open).toBe(false);
  });

  describe('in open mode (no API_KEYS)', () => {
    const open = new ApiKeysService(loadConfig({}));

    it('takes every request, with or without a header, as client "default"', () => {
      expect(open.open).toBe(true);
      expect(open.authenticate(undefined)).toEqual({ client: 'default' });
      expect(open.authenticate('Bearer anything-at-all-here')).toEqual({ client: 'default' });
      expect(open.authenticate('garbage')).toEqual({ client: 'default' });
    });
  });
});
