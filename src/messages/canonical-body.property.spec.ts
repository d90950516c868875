import fc from 'fast-check';
import { bodyDedupKey, canonicalBody } from './canonical-body';

/**
 * Properties of the dedup key over generated bodies: every variant a reader can't tell from a body keys
 * to it, and the invisible characters that do change rendering keep bodies apart. Runs are reproducible
 * (fixed seed); a failure prints the shrunk counterexample.
 */
const SEED = 20261201;
const RUNS = 500;
// Compared as hex: jest's toEqual on a Buffer takes a millisecond.
const key = (text: string) => bodyDedupKey(text).toString('hex');
const check = <Ts>(property: fc.IProperty<Ts>) => fc.assert(property, { seed: SEED, numRuns: RUNS });

/** Pieces that exercise the form: accents in both orders, jamo, every kind of whitespace and line break. */
const TRICKY = [
  'e\u0301',
  '\u00e9',
  'q\u0323\u0307',
  'q\u0307\u0323',
  '\u1112\u1161\u11ab',
  '\ud55c',
  '\u212b',
  'A\u030a',
  '\n',
  '\r',
  '\r\n',
  ' ',
  '\t',
  '\u00a0',
  '\u3000',
  '\u0085',
  '\u2028',
  '\u2000',
  '\u200b',
  '\u2060',
  '\ufeff',
  '\u200c',
  '\u200d',
  '\u200e',
  '\u200f',
  '\u061c',
  '\u{1f469}',
  '\ufb01',
];
const body = fc.string({
  unit: fc.oneof(fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }), fc.constantFrom(...TRICKY)),
  maxLength: 40,
});

const codePoints = (text: string) => [...text];
const pick = <T>(items: readonly T[]) => fc.constantFrom(...items);
/** Unicode White_Space, as this Node knows it, but LF and CR (which break lines); all of it lies in the BMP. */
const SPACES = Array.from({ length: 0x10000 }, (_, code) => String.fromCharCode(code)).filter(
  (char) => /\p{White_Space}/u.test(char) && char !== '\n' && char !== '\r',
);
const trailingSpace = fc.string({ unit: pick(SPACES), maxLength: 4 });
const invisible = pick(['\u200b', '\u2060', '\ufeff']);

/**
 * How to write a variant of a canonical form that a reader can't tell from it: pieces of it in NFD or
 * NFC, a line break for each LF, whitespace at the end of each line, whitespace and line breaks at the
 * end of the text, invisible characters inserted anywhere (between a letter and its accent, inside a
 * CRLF). Lists shorter than the text's lines are used round and round.
 */
const recipe = fc.record({
  forms: fc.array(fc.record({ cut: fc.nat(), nfd: fc.boolean() }), { maxLength: 4 }),
  breaks: fc.array(pick(['\n', '\r\n', '\r']), { minLength: 1, maxLength: 8 }),
  ends: fc.array(trailingSpace, { minLength: 1, maxLength: 8 }),
  tail: fc.string({ unit: fc.oneof(trailingSpace, pick(['\n', '\r', '\r\n'])), maxLength: 4 }),
  invisibles: fc.array(fc.record({ at: fc.nat(), char: invisible }), { maxLength: 4 }),
});
type Recipe = typeof recipe extends fc.Arbitrary<infer R> ? R : never;

function variantOf(canonical: string, { forms, breaks, ends, tail, invisibles }: Recipe): string {
  const lines = canonical.split('\n');
  let text = '';
  for (let i = lines.length - 1; i >= 0; i--) {
    const chosen = breaks[i % breaks.length];
    // A CR right before an LF would read as one CRLF: one line break fewer.
    const lineBreak = i === lines.length - 1 ? '' : chosen === '\r' && text.startsWith('\n') ? '\r\n' : chosen;
    text = mixForms(lines[i], forms) + ends[i % ends.length] + lineBreak + text;
  }
  const points = codePoints(text + tail);
  for (const { at, char } of invisibles) points.splice(at % (points.length + 1), 0, char);
  return points.join('');
}

/** The text cut into pieces at code points, each piece in NFD or NFC: still canonically equivalent. */
function mixForms(text: string, forms: ReadonlyArray<{ cut: number; nfd: boolean }>): string {
  const points = codePoints(text);
  const cuts = [...new Set(forms.map(({ cut }) => cut % (points.length + 1)))].sort((a, b) => a - b);
  let start = 0;
  return [...cuts, points.length]
    .map((end, i) => {
      const piece = points.slice(start, Math.max(start, end)).join('');
      start = Math.max(start, end);
      return piece.normalize(forms[i]?.nfd ? 'NFD' : 'NFC');
    })
    .join('');
}

describe('bodyDedupKey (properties)', () => {
  it('keys a body and any mix of its unseen variants to one key', () => {
    check(
      fc.property(body, fc.array(recipe, { minLength: 1, maxLength: 3 }), (original, recipes) => {
        const expected = key(original);
        for (const r of recipes) expect(key(variantOf(canonicalBody(original), r))).toBe(expected);
      }),
    );
  });

  it('is idempotent: the canonical form of a canonical form is itself', () => {
    check(
      fc.property(body, (text) => {
        const canonical = canonicalBody(text);
        expect(canonicalBody(canonical)).toBe(canonical);
      }),
    );
  });

  it('keeps a ZWJ, ZWNJ or bidi mark, wherever it is inserted', () => {
    const mark = pick(['\u200d', '\u200c', '\u200e', '\u200f', '\u061c']);
    check(
      fc.property(body, fc.nat(), mark, (text, at, char) => {
        const points = codePoints(canonicalBody(text));
        const marked = [
          ...points.slice(0, at % (points.length + 1)),
          char,
          ...points.slice(at % (points.length + 1)),
        ].join('');
        expect(key(marked)).not.toBe(key(text));
      }),
    );
  });

  it('keeps whitespace that starts a line of text', () => {
    const leading = pick(SPACES);
    check(
      fc.property(body, leading, (text, space) => {
        const canonical = canonicalBody(text);
        fc.pre(canonical !== '' && !canonical.startsWith('\n'));
        expect(key(space + canonical)).not.toBe(key(canonical));
      }),
    );
  });
});
