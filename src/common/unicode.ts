import { isUtf8 } from 'node:buffer';
import { parse as parseQuery, type ParsedUrlQuery } from 'node:querystring';
import type { FieldErrorDto } from './api-error.dto';
import { forEachField } from './request-fields';

/** A UTF-16 unit that is half of a pair, alone: `u` makes a regular expression see pairs as one code point. */
const LONE_SURROGATE = /\p{Cs}/u;
const LONE_SURROGATES = /\p{Cs}/gu;

/**
 * What a byte that is not UTF-8 decodes to: U+FFFD, as decoders replace it, then a lone low surrogate.
 * Valid UTF-8 never decodes to a lone surrogate, and nothing around this one can pair with it (a low
 * surrogate pairs only with a high one just before it), so the text stays ill-formed whatever JSON
 * escapes stand next to it, and the check that finds lone-surrogate escapes finds these bytes too.
 */
const NOT_UTF8 = '\uFFFD\uDC80';

const REASON = 'is not valid Unicode: it holds bytes that are not UTF-8, or a lone surrogate (\\uD800-\\uDFFF)';

/** UTF-8 bytes as text, each byte that is not part of a valid UTF-8 sequence marked by NOT_UTF8. */
export function decodeUtf8(bytes: Buffer): string {
  if (isUtf8(bytes)) return bytes.toString('utf8');
  let text = '';
  let run = 0;
  for (let i = 0; i < bytes.length;) {
    const length = utf8SequenceLength(bytes, i);
    if (length > 0) {
      i += length;
      continue;
    }
    text += bytes.toString('utf8', run, i) + NOT_UTF8;
    run = ++i;
  }
  return text + bytes.toString('utf8', run);
}

/**
 * The length of the well-formed UTF-8 sequence at `i`, or 0 if there is none: no overlong forms, no
 * surrogates, nothing past U+10FFFF (the Unicode standard's table 3-7).
 */
function utf8SequenceLength(bytes: Buffer, i: number): number {
  const lead = bytes[i];
  if (lead < 0x80) return 1;
  let length: number;
  let secondMin = 0x80;
  let secondMax = 0xbf;
  if (lead >= 0xc2 && lead <= 0xdf) {
    length = 2;
  } else if (lead >= 0xe0 && lead <= 0xef) {
    length = 3;
    if (lead === 0xe0) secondMin = 0xa0;
    if (lead === 0xed) secondMax = 0x9f;
  } else if (lead >= 0xf0 && lead <= 0xf4) {
    length = 4;
    if (lead === 0xf0) secondMin = 0x90;
    if (lead === 0xf4) secondMax = 0x8f;
  } else {
    return 0;
  }
  if (i + length > bytes.length || bytes[i + 1] < secondMin || bytes[i + 1] > secondMax) return 0;
  for (let k = 2; k < length; k++) if (bytes[i + k] < 0x80 || bytes[i + k] > 0xbf) return 0;
  return length;
}

/** The strings and keys in `value` that are not well-formed Unicode, each named by its path. */
export function illFormedTextErrors(value: unknown): FieldErrorDto[] {
  if (typeof value === 'string') return LONE_SURROGATE.test(value) ? [{ field: '(request body)', reason: REASON }] : [];
  const errors: FieldErrorDto[] = [];
  forEachField(value, (field) => {
    if (
      (field.key !== undefined && LONE_SURROGATE.test(field.key)) ||
      (typeof field.value === 'string' && LONE_SURROGATE.test(field.value))
    ) {
      // The path is printable, so that the error itself is well-formed.
      errors.push({ field: field.path.replace(LONE_SURROGATES, '\uFFFD'), reason: REASON });
    }
  });
  return errors;
}

/**
 * fastify's querystringParser. Splits as fast-querystring, fastify's own, does ('&', '=', '+' as a space,
 * repeated keys as an array), but decodes percent-escapes as UTF-8 bytes: fast-querystring keeps an
 * escape that is not UTF-8 as it was (`%FF` stays "%FF"), so the query meant something else than what was
 * sent. Here such bytes are marked, and rejectIllFormedText names the parameter.
 */
export function parseQueryString(query: string): ParsedUrlQuery {
  return parseQuery(query, '&', '=', { maxKeys: 0, decodeURIComponent: decodePercentEscapes });
}

function decodePercentEscapes(text: string): string {
  if (!text.includes('%')) return text;
  // Node's HTTP parser refuses a URL with bytes outside ASCII, so each character here is one byte.
  const raw = Buffer.from(text, 'latin1');
  const bytes = Buffer.alloc(raw.length);
  let length = 0;
  for (let i = 0; i < raw.length; i++) {
    const escaped = raw[i] === 0x25 ? hexByte(raw, i + 1) : -1;
    if (escaped >= 0) {
      bytes[length++] = escaped;
      i += 2;
    } else {
      // A '%' not followed by two hex digits stays itself, as in fast-querystring.
      bytes[length++] = raw[i];
    }
  }
  return decodeUtf8(bytes.subarray(0, length));
}

function hexByte(bytes: Buffer, at: number): number {
  const high = hexDigit(bytes[at]);
  const low = hexDigit(bytes[at + 1]);
  return high < 0 || low < 0 ? -1 : high * 16 + low;
}

function hexDigit(byte: number | undefined): number {
  if (byte === undefined) return -1;
  if (byte >= 0x30 && byte <= 0x39) return byte - 0x30;
  const lower = byte | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}
