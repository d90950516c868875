import { isUtf8 } from 'node:buffer';
import fc from 'fast-check';
import { decodeUtf8, illFormedTextErrors, parseQueryString } from './unicode';

const wellFormed = (text: string) => !/\p{Cs}/u.test(text);

describe('decodeUtf8', () => {
  it('decodes valid UTF-8 exactly as Buffer does, and anything else to text that is not well-formed', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 64 }),
          fc.string({ unit: 'grapheme' }).map((s) => new TextEncoder().encode(s)),
        ),
        (bytes) => {
          const buffer = Buffer.from(bytes);
          const text = decodeUtf8(buffer);
          if (isUtf8(buffer)) expect(text).toBe(buffer.toString('utf8'));
          else expect(wellFormed(text)).toBe(false);
        },
      ),
      { numRuns: 2_000 },
    );
  });

  it.each([
    ['a lone continuation byte', [0x80]],
    ['a byte that is never UTF-8', [0xff]],
    ['an overlong "/"', [0xc0, 0xaf]],
    ['an encoded surrogate (CESU-8)', [0xed, 0xa0, 0x80]],
    ['a code point past U+10FFFF', [0xf4, 0x90, 0x80, 0x80]],
    ['a character cut short', [0xe2, 0x82]],
  ])('keeps the valid text around %s', (_, bad) => {
    const text = decodeUtf8(Buffer.from([0x61, ...bad, 0xc3, 0xa9]));
    expect(text.startsWith('a')).toBe(true);
    expect(text.endsWith('é')).toBe(true);
    expect(wellFormed(text)).toBe(false);
  });

  it('marks a bad byte so that a JSON escape just before it cannot pair with it into a valid character', () => {
    const json = Buffer.concat([Buffer.from('"\\ud83d'), Buffer.from([0x80]), Buffer.from('"')]);
    expect(wellFormed(JSON.parse(decodeUtf8(json)))).toBe(false);
  });
});

describe('illFormedTextErrors', () => {
  it('names each string and key that holds a lone surrogate by its path, and nothing else', () => {
    const value = {
      body: 'ok 😀',
      recipients: [{ recipient: 'fine' }, { recipient: 'bad \uD800' }],
      ['k\uDC00']: 1,
      list: ['x', '\uDFFF'],
    };
    expect(
      illFormedTextErrors(value)
        .map((e) => e.field)
        .sort(),
    ).toEqual(['k\uFFFD', 'list[1]', 'recipients[1].recipient']);
  });

  it('names a body that is one bad string as the request body', () => {
    expect(illFormedTextErrors('\uD800')).toEqual([
      { field: '(request body)', reason: expect.stringMatching(/Unicode/) },
    ]);
  });

  it('finds nothing in well-formed text, whatever its script', () => {
    expect(illFormedTextErrors({ a: 'Grüße 世界 \u{10FFFF}', b: [1, null, true, { c: '' }] })).toEqual([]);
  });
});

describe('parseQueryString', () => {
  it.each([
    ['a=1&a=2', { a: ['1', '2'] }],
    ['a', { a: '' }],
    ['=b', { '': 'b' }],
    ['a+b=c+d', { 'a b': 'c d' }],
    ['&&a=1', { a: '1' }],
    ['a=b=c', { a: 'b=c' }],
    ['a=%2B%20%25', { a: '+ %' }],
    ['a=%&b=%4', { a: '%', b: '%4' }],
    ['a=%zz', { a: '%zz' }],
  ])('splits and decodes %j as fastify always has', (query, parsed) => {
    expect({ ...parseQueryString(query) }).toEqual(parsed);
  });

  it('gives back any text a client percent-encodes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme' }), (text) => {
        expect(parseQueryString(`k=${encodeURIComponent(text)}`).k).toBe(text);
      }),
    );
  });

  it('marks percent-encoded bytes that are not UTF-8, in names and values', () => {
    const parsed = parseQueryString('a=x%FF&%C3=1');
    expect(
      illFormedTextErrors(parsed)
        .map((e) => e.field)
        .sort(),
    ).toEqual(['a', '\uFFFD\uFFFD']);
  });

  it('makes an object without a prototype, as fastify does', () => {
    expect(Object.getPrototypeOf(parseQueryString('constructor=1'))).toBeNull();
  });
});
