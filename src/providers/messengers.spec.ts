import {
  characterCount,
  isMessengerName,
  MESSENGER_RULES,
  normalizeRecipient,
  MESSENGER_NAMES,
  recipientSpellings,
} from './messengers';

describe('MESSENGER_RULES', () => {
  it('has rules for exactly the messengers we deliver to', () => {
    expect(Object.keys(MESSENGER_RULES).sort()).toEqual([...MESSENGER_NAMES].sort());
  });

  it.each([
    ['telegram', 4096],
    ['whatsapp', 4096],
    ['viber', 7000],
  ] as const)('%s accepts bodies of up to %i characters', (provider, limit) => {
    expect(MESSENGER_RULES[provider].maxBodyLength).toBe(limit);
  });

  it.each([
    ['telegram', '123456789', true], // a user's chat id
    ['telegram', '-1001234567890', true], // a supergroup's chat id
    ['telegram', '@alice_bot', true],
    ['telegram', `@${'a'.repeat(32)}`, true],
    ['telegram', '@abcd', false], // usernames have at least 5 characters
    ['telegram', `@${'a'.repeat(33)}`, false],
    ['telegram', '0123', false],
    ['telegram', 'alice_bot', false],
    ['telegram', '+14155552671', false],
    ['whatsapp', '+14155552671', true],
    ['whatsapp', '+380501234567', true],
    ['whatsapp', '+12345678', true], // 8 digits, the fewest
    ['whatsapp', '+123456789012345', true], // 15 digits, the most
    ['whatsapp', '14155552671', false], // no "+"
    ['whatsapp', '+04155552671', false],
    ['whatsapp', '+1234567', false],
    ['whatsapp', '+1234567890123456', false],
    ['whatsapp', '+1 415 555 2671', false],
    ['viber', 'pttm25kSGUo1919sBORWyA==', true],
    ['viber', 'a', true],
    ['viber', 'id with inner spaces', true],
    ['viber', 'x'.repeat(64), true],
    ['viber', '', false],
    ['viber', 'x'.repeat(65), false],
    ['viber', ' leading-space', false],
    ['viber', 'trailing-space ', false],
    ['viber', 'tab\there', false],
    ['viber', 'пользователь', false],
  ] as const)('%s: recipient %p is valid: %p', (provider, recipient, valid) => {
    expect(MESSENGER_RULES[provider].recipientPattern.test(recipient)).toBe(valid);
  });

  it.each(MESSENGER_NAMES)('%s describes the recipient form it wants', (provider) => {
    expect(MESSENGER_RULES[provider].recipientFormat).toEqual(expect.any(String));
    expect(MESSENGER_RULES[provider].recipientFormat.length).toBeGreaterThan(0);
  });
});

describe('characterCount', () => {
  it.each([
    ['', 0],
    ['hello', 5],
    ['привет', 6],
    ['😀', 1], // two UTF-16 units, one code point
    ['hi 👋🏽', 5], // an emoji with a skin tone is two code points
    ['\u00e9', 1], // é, composed
    ['e\u0301', 2], // é, decomposed: a letter and a combining accent
    ['𝄞 clef', 6],
  ])('counts %p as %i', (text, count) => {
    expect(characterCount(text)).toBe(count);
  });

  it('counts code points, not UTF-16 units', () => {
    const emoji = '😀'.repeat(4096);
    expect(emoji.length).toBe(8192);
    expect(characterCount(emoji)).toBe(4096);
  });
});

describe('normalizeRecipient', () => {
  it.each([
    ['telegram', '@Alice_Bot', '@alice_bot'], // usernames are case-insensitive
    ['telegram', '@alice_bot', '@alice_bot'],
    ['telegram', '123456789', '123456789'],
    ['telegram', '-1001234567890', '-1001234567890'],
    ['whatsapp', '+14155552671', '+14155552671'],
    ['whatsapp', '@Alice_Bot', '@Alice_Bot'],
    ['viber', 'pttm25kSGUo1919sBORWyA==', 'pttm25kSGUo1919sBORWyA=='], // opaque ids are case-sensitive
    ['viber', '@Alice_Bot', '@Alice_Bot'],
    ['Telegram', '@Alice_Bot', '@Alice_Bot'], // not a provider name
  ])('%s recipient %p is spelled %p', (provider, recipient, normalized) => {
    expect(normalizeRecipient(provider, recipient)).toBe(normalized);
  });

  it.each([42, undefined, null, ['@Alice']])('leaves a non-string recipient %p as it is', (recipient) => {
    expect(normalizeRecipient('telegram', recipient)).toBe(recipient);
  });
});

describe('recipientSpellings', () => {
  it('spells an @username lower-case for Telegram and as given for the others', () => {
    expect(recipientSpellings('@SomeUser')).toEqual(
      new Map([
        ['@someuser', ['telegram']],
        ['@SomeUser', ['whatsapp', 'viber']],
      ]),
    );
  });

  it('has one spelling when every messenger stores the recipient alike', () => {
    expect(recipientSpellings('+14155552671')).toEqual(new Map([['+14155552671', [...MESSENGER_NAMES]]]));
  });

  it('spells it for the given messengers only', () => {
    expect(recipientSpellings('@SomeUser', ['telegram'])).toEqual(new Map([['@someuser', ['telegram']]]));
  });
});

describe('isMessengerName', () => {
  it.each(MESSENGER_NAMES)('accepts %p', (name) => {
    expect(isMessengerName(name)).toBe(true);
  });

  it.each(['Telegram', 'VIBER', 'sms', '', ' telegram', undefined, null, 1, ['telegram'], { name: 'viber' }])(
    'refuses %p',
    (value) => {
      expect(isMessengerName(value)).toBe(false);
    },
  );
});
