import fc from 'fast-check';
import { parseJsonExact } from './exact-json';

describe('parseJsonExact', () => {
  it("keeps every digit of Viber's 64-bit message_token, which JSON.parse rounds", () => {
    const answer =
      '{"status":0,"status_message":"ok","message_token":5741311803571721087,"chat_hostname":"SN-CHAT-05_"}';
    expect(String((JSON.parse(answer) as { message_token: number }).message_token)).not.toBe('5741311803571721087');
    expect(parseJsonExact(answer)).toStrictEqual({
      status: 0,
      status_message: 'ok',
      message_token: '5741311803571721087',
      chat_hostname: 'SN-CHAT-05_',
    });
  });

  it.each([
    ['the largest safe integer', '9007199254740991', 9007199254740991],
    ['a negative safe integer', '-9007199254740991', -9007199254740991],
    ['a 52-bit Telegram chat id', '-1001234567890123', -1001234567890123],
    // eslint-disable-next-line no-loss-of-precision -- the literal rounds as JSON.parse rounds it, which is the point
    ['a fraction', '12345678901234567.5', 12345678901234567.5],
    ['an exponent', '1e30', 1e30],
    // eslint-disable-next-line no-loss-of-precision -- the literal rounds as JSON.parse rounds it, which is the point
    ['a long exponent form', '12345678901234567e2', 12345678901234567e2],
  ])('leaves %s a number', (_what, literal, value) => {
    expect(parseJsonExact(`{"n":${literal}}`)).toStrictEqual({ n: value });
  });

  it.each([
    ['one past the safe range', '9007199254740992'],
    ['a negative 64-bit integer', '-5741311803571721087'],
    ['an integer longer than 64 bits', '123456789012345678901234567890'],
  ])('gives %s as its digits', (_what, literal) => {
    expect(parseJsonExact(`[${literal}]`)).toStrictEqual([literal]);
  });

  it('quotes every unsafe integer, at any depth, and nothing else', () => {
    expect(parseJsonExact('{"a":[1,9007199254740993,{"b":-9007199254740993}],"c":true,"d":null,"e":2}')).toStrictEqual({
      a: [1, '9007199254740993', { b: '-9007199254740993' }],
      c: true,
      d: null,
      e: 2,
    });
  });

  it('leaves digits inside strings alone, past escaped quotes and backslashes', () => {
    const text = String.raw`{"text":"say \"12345678901234567890\" and \\","n":12345678901234567890,"s":"\\\"99999999999999999999"}`;
    expect(parseJsonExact(text)).toStrictEqual({
      text: 'say "12345678901234567890" and \\',
      n: '12345678901234567890',
      s: '\\"99999999999999999999',
    });
  });

  it('parses text without long digit runs exactly as JSON.parse does', () => {
    const text =
      '{"ok":true,"result":{"message_id":42,"date":1700000000,"chat":{"id":-100123,"type":"group"},"text":"hi"}}';
    expect(parseJsonExact(text)).toStrictEqual(JSON.parse(text));
  });

  it.each(['', '{"a":', 'not json', '{"n":12345678901234567890'])('throws on %p, which is not JSON', (text) => {
    expect(() => parseJsonExact(text)).toThrow(SyntaxError);
  });

  it('reads any tree of strings, safe integers and 64-bit integers: the big ones as their digits, the rest as JSON.parse', () => {
    const big = fc
      .bigInt({ min: -(2n ** 64n), max: 2n ** 64n })
      .filter((n) => n > BigInt(Number.MAX_SAFE_INTEGER) || n < -BigInt(Number.MAX_SAFE_INTEGER));
    const { tree } = fc.letrec((tie) => ({
      tree: fc.oneof(
        { depthSize: 'small' },
        fc.string({ unit: 'binary' }),
        fc.maxSafeInteger(),
        big,
        fc.array(tie('tree')),
        fc.dictionary(fc.string(), tie('tree')),
      ),
    }));
    fc.assert(
      fc.property(tree, (value) => {
        // JSON.stringify cannot write a bigint: it goes out as a marker, and the marker is swapped for the bare digits.
        const text = JSON.stringify(value, (_key, inner: unknown) =>
          typeof inner === 'bigint' ? `\u0000big${inner}` : inner,
        ).replace(/"\\u0000big(-?\d+)"/g, '$1');
        const expected: unknown = JSON.parse(
          JSON.stringify(value, (_key, inner: unknown) => (typeof inner === 'bigint' ? String(inner) : inner)),
        );
        expect(parseJsonExact(text)).toStrictEqual(expected);
      }),
    );
  });
});
