/** A JSON number token, read from where the scanner stands. */
const NUMBER = /-?\d+(\.\d+)?([eE][+-]?\d+)?/y;

/** An integer literal this long may exceed Number.MAX_SAFE_INTEGER (16 digits); shorter ones never do. */
const LONG_DIGITS = /\d{16}/;

/**
 * JSON.parse, except that an integer too large for a double to hold exactly arrives as its decimal digits (a
 * string): a messenger's 64-bit message id (5741311803571721087) would otherwise lose its last digits. Node 20's
 * JSON.parse gives a reviver no source text, so such literals are quoted before parsing instead. Throws as
 * JSON.parse does on text that is not JSON.
 */
export function parseJsonExact(text: string): unknown {
  return JSON.parse(LONG_DIGITS.test(text) ? quoteUnsafeIntegers(text) : text);
}

/** `text` with every integer literal outside the safe range (and outside strings) put in quotes. */
function quoteUnsafeIntegers(text: string): string {
  let out = '';
  let copied = 0;
  let i = 0;
  while (i < text.length) {
    const char = text[i];
    if (char === '"') {
      // Past the string: an escaped character is skipped whole, so \" does not end it.
      for (i++; i < text.length && text[i] !== '"'; i += text[i] === '\\' ? 2 : 1);
      i++;
      continue;
    }
    if (char === '-' || (char >= '0' && char <= '9')) {
      NUMBER.lastIndex = i;
      const match = NUMBER.exec(text);
      if (match) {
        const end = i + match[0].length;
        const integer = match[1] === undefined && match[2] === undefined;
        if (integer && !Number.isSafeInteger(Number(match[0]))) {
          out += `${text.slice(copied, i)}"${match[0]}"`;
          copied = end;
        }
        i = end;
        continue;
      }
    }
    i++;
  }
  return copied === 0 ? text : out + text.slice(copied);
}
