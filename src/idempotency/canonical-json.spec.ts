import { canonicalJson } from './canonical-json';

describe('canonicalJson', () => {
  it('sorts the keys of every object, at any depth', () => {
    expect(canonicalJson({ b: 1, a: { d: [{ z: 1, y: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[{"y":2,"z":1}]},"b":1}',
    );
  });

  it('serialises objects that differ only in key order the same', () => {
    expect(canonicalJson({ body: 'hi', recipients: [{ provider: 'viber', recipient: 'x' }] })).toBe(
      canonicalJson({ recipients: [{ recipient: 'x', provider: 'viber' }], body: 'hi' }),
    );
  });

  it('keeps the order of arrays', () => {
    expect(canonicalJson([3, 1, 2])).not.toBe(canonicalJson([1, 2, 3]));
  });

  it('leaves out undefined properties, as JSON does, but keeps nulls', () => {
    expect(canonicalJson({ a: undefined, b: null })).toBe('{"b":null}');
  });

  it('reads class instances by their own properties', () => {
    class Recipient {
      constructor(
        readonly recipient: string,
        readonly provider: string,
      ) {}
    }
    expect(canonicalJson(new Recipient('x', 'viber'))).toBe('{"provider":"viber","recipient":"x"}');
  });
});
