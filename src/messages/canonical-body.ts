import { createHash } from 'node:crypto';

/**
 * The dedup key of a body: sha256 of the UTF-8 of its canonical form, so that two bodies a person reads
 * as the same text are one message. The canonical form is only ever hashed: the text stored, delivered
 * and measured against the length limits is the body as sent.
 *
 * The canonical form, in this order:
 * 1. U+200B ZERO WIDTH SPACE, U+2060 WORD JOINER and U+FEFF ZERO WIDTH NO-BREAK SPACE (the byte-order
 *    mark) are removed wherever they are. They draw nothing; removing them first lets step 3 compose a
 *    letter with an accent they separated.
 * 2. CRLF, then any CR left, becomes LF.
 * 3. Unicode Normalization Form C (canonical composition): a precomposed é and e + U+0301 are one text.
 *    Canonical equivalence only: compatibility forms ("ﬁ" and "fi", full-width "Ａ" and "A", "²" and "2")
 *    look different, and stay different.
 * 4. Whitespace at the end of each line (before an LF) is removed, then whitespace and LFs at the end of
 *    the text. Whitespace is Unicode's White_Space property, written out below (WHITE_SPACE) so that a
 *    Node upgrade can't change a key: tab, VT, FF, CR, space, U+0085 NEL, U+00A0 NO-BREAK SPACE, U+1680,
 *    U+2000-U+200A, U+2028, U+2029, U+202F, U+205F, U+3000 IDEOGRAPHIC SPACE. No-break and ideographic
 *    spaces count: at the end of a line there is no next word to hold on to nor any glyph to draw, so a
 *    trailing one is as invisible as a trailing space (and common in text pasted from HTML, &nbsp;, or
 *    typed with a CJK input method).
 *
 * Everything else is kept: leading whitespace (indentation, the ideographic paragraph indent), inner
 * spaces, blank lines between paragraphs, case, and every other invisible character. ZWJ U+200D and
 * ZWNJ U+200C change how Persian, Indic and emoji text renders, and the bidi marks U+200E, U+200F and
 * U+061C change the order it is shown in.
 *
 * A body that is already canonical keys to the plain sha256 of its bytes, the key used before this form
 * existed: such rows kept their keys, and the migration CanonicalBodyKeys re-keyed only the others.
 * NFC is stable across Unicode versions for assigned characters; only a character unassigned in this
 * Node's Unicode that a later version assigns and composes could change a key after a Node upgrade.
 */
export function canonicalBody(body: string): string {
  const text = body.replace(INVISIBLE, '').replace(LINE_BREAK, '\n').normalize('NFC');
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) lines[i] = lines[i].slice(0, contentEnd(lines[i], false));
  const joined = lines.join('\n');
  return joined.slice(0, contentEnd(joined, true));
}

/** The dedup key: sha256 of the canonical form's UTF-8. */
export function bodyDedupKey(body: string): Buffer {
  return createHash('sha256').update(canonicalBody(body), 'utf8').digest();
}

const INVISIBLE = /[\u200B\u2060\uFEFF]/g;
const LINE_BREAK = /\r\n?/g;

/** Unicode White_Space except LF (every one is a single UTF-16 unit). */
export const WHITE_SPACE: ReadonlySet<number> = new Set([
  0x09, 0x0b, 0x0c, 0x0d, 0x20, 0x85, 0xa0, 0x1680, 0x2000, 0x2001, 0x2002, 0x2003, 0x2004, 0x2005, 0x2006, 0x2007,
  0x2008, 0x2009, 0x200a, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
]);

/** Where the text's trailing whitespace (and LFs, if asked) begins. A scan, not a regex: no backtracking. */
function contentEnd(text: string, newlines: boolean): number {
  let end = text.length;
  while (end > 0) {
    const unit = text.charCodeAt(end - 1);
    if (!WHITE_SPACE.has(unit) && !(newlines && unit === 0x0a)) break;
    end--;
  }
  return end;
}
