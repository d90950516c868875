import { createHash } from 'node:crypto';
import { bodyDedupKey, canonicalBody, WHITE_SPACE } from './canonical-body';

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest();

describe('canonicalBody', () => {
  it.each([
    ['a precomposed é and e + combining acute', 'caf\u00e9', 'cafe\u0301'],
    ['Hangul syllables and their jamo', '\ud55c\uad6d', '\u1112\u1161\u11ab\u1100\u116e\u11a8'],
    ['combining marks in either canonical order', 'q\u0307\u0323', 'q\u0323\u0307'],
    ['CRLF and LF', 'line one\r\nline two', 'line one\nline two'],
    ['a lone CR and LF', 'line one\rline two', 'line one\nline two'],
    ['spaces and tabs at the end of a line', 'line one \t\nline two', 'line one\nline two'],
    ['whitespace at the end of the text', 'hello \t ', 'hello'],
    ['trailing newlines, however written', 'hello\r\n\n\r', 'hello'],
    ['a trailing no-break space (&nbsp;)', 'hello\u00a0\nworld', 'hello\nworld'],
    ['a trailing ideographic space', '\u3053\u3093\u306b\u3061\u306f\u3000', '\u3053\u3093\u306b\u3061\u306f'],
    ['a whitespace-only line and an empty one', 'a\n \t\nb', 'a\n\nb'],
    ['a byte-order mark', '\ufeffhello', 'hello'],
    ['a zero-width space', 'hel\u200blo', 'hello'],
    ['a word joiner', 'hel\u2060lo', 'hello'],
    ['a zero-width space between a letter and its accent', 'cafe\u200b\u0301', 'caf\u00e9'],
    ['a zero-width space between CR and LF', 'a\r\u200b\nb', 'a\nb'],
  ])('keys %s alike', (_, one, other) => {
    expect(bodyDedupKey(one)).toEqual(bodyDedupKey(other));
  });

  it.each([
    ['a zero-width joiner (emoji sequences)', '\u{1f469}\u200d\u{1f4bb}', '\u{1f469}\u{1f4bb}'],
    [
      'a zero-width non-joiner (Persian)',
      '\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645',
      '\u0645\u06cc\u062e\u0648\u0627\u0647\u0645',
    ],
    ['a left-to-right mark', 'a\u200eb', 'ab'],
    ['a right-to-left mark', 'a\u200fb', 'ab'],
    ['an Arabic letter mark', 'a\u061cb', 'ab'],
    ['leading spaces', '  indented', 'indented'],
    ['a leading ideographic space (paragraph indent)', '\u3000\u6bb5\u843d', '\u6bb5\u843d'],
    ['leading newlines', '\nhello', 'hello'],
    ['inner spaces', 'a  b', 'a b'],
    ['an inner no-break space and a space', 'a\u00a0b', 'a b'],
    ['case', 'Hello', 'hello'],
    ['a ligature and its letters (NFKC only)', '\ufb01le', 'file'],
    ['full-width and ASCII letters (NFKC only)', '\uff21', 'A'],
    ['a superscript and a digit (NFKC only)', 'x\u00b2', 'x2'],
    ['two blank lines and one', 'a\n\n\nb', 'a\n\nb'],
    ['a space before an accent and an accent alone', 'a \u0301', 'a\u0301'],
    ['a soft hyphen', 'ab\u00adc', 'abc'],
  ])('keys %s apart', (_, one, other) => {
    expect(bodyDedupKey(one)).not.toEqual(bodyDedupKey(other));
  });

  it('keys a body that is already canonical to the sha256 of its bytes, the key stored before this form', () => {
    const body = 'Your order #1042 has shipped.\n\n  Thank you!';
    expect(canonicalBody(body)).toBe(body);
    expect(bodyDedupKey(body)).toEqual(sha256(body));
  });

  it('writes the canonical form out as documented', () => {
    expect(canonicalBody('\ufeffcafe\u0301 \r\n\u200b\tline\u2060 two\u3000\r\r\n')).toBe('caf\u00e9\n\tline two');
  });

  it('counts as whitespace exactly Unicode White_Space other than LF', () => {
    const whiteSpace: number[] = [];
    for (let code = 0; code <= 0x10ffff; code++) {
      if (code !== 0x0a && /\p{White_Space}/u.test(String.fromCodePoint(code))) whiteSpace.push(code);
    }
    // All in the BMP, as the scan of UTF-16 units assumes.
    expect([...WHITE_SPACE].sort((a, b) => a - b)).toEqual(whiteSpace);
  });
});
