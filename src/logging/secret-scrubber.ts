/** What a secret, or a credential's value, is replaced with. */
export const REDACTED = '[REDACTED]';

/** Base64 cores shorter than this could turn up by chance; the raw secret is always matched. */
const MIN_BASE64_CORE = 8;

const escapeRegExp = (text: string) => text.replace(/[\\^$.*+?()[\]{}|/-]/g, '\\$&');

/** A hex digit as a percent-encoding may write it: in either case. */
const hexDigit = (digit: number) => {
  const hex = digit.toString(16);
  return /[a-f]/.test(hex) ? `[${hex}${hex.toUpperCase()}]` : hex;
};

/**
 * One character as it may be written in a line: as is; JSON-escaped, at any depth of JSON in JSON (`\"`,
 * `\\\"`); percent-encoded any number of times (`%41`, `%2541`); a space also as `+` (forms, query strings).
 */
function characterPattern(char: string): string {
  const ways = [escapeRegExp(char)];
  const json = JSON.stringify(char).slice(1, -1);
  if (json !== char) ways.push(`\\\\+${escapeRegExp(json.slice(1))}`);
  ways.push(
    [...Buffer.from(char, 'utf8')].map((byte) => `%(?:25)*${hexDigit(byte >> 4)}${hexDigit(byte & 15)}`).join(''),
  );
  if (char === ' ') ways.push('\\+');
  return `(?:${ways.join('|')})`;
}

/**
 * What stays the same in every base64 text that holds `secret`, at each of the three alignments it can start
 * at (the characters at its edges also carry bits of what is around it), in both alphabets: Basic credentials
 * (`name:secret`) sent in a header that is not redacted by name.
 */
function base64Cores(secret: string): string[] {
  const bytes = Buffer.from(secret, 'utf8');
  const cores: string[] = [];
  for (let offset = 0; offset < 3; offset++) {
    const encoded = Buffer.concat([Buffer.alloc(offset), bytes]).toString('base64');
    const core = encoded.slice(Math.ceil((8 * offset) / 6), Math.floor((8 * (offset + bytes.length)) / 6));
    if (core.length >= MIN_BASE64_CORE) cores.push(core, core.replaceAll('+', '-').replaceAll('/', '_'));
  }
  return cores;
}

/**
 * The secrets the process is configured with, and the removal of them from text on its way out: every log
 * line (createRootLogger) and every error answer (configureHttpApp). A module adds its secrets at start-up
 * (API keys: ApiKeysService); nothing else needs to know where a secret may turn up.
 *
 * A secret is found however the text carries it: as is, percent-encoded in any of its characters any number of
 * times (a client may encode any character of a URL, and the URL is logged as sent), JSON-escaped, base64-encoded.
 * Text that holds none (nearly every line) costs a search for the secrets as they are, and only when it holds a
 * "%" (or a backslash or "+" that could encode one) a second search for their encoded forms. A JSON line that holds
 * one is parsed, each string in it scrubbed, and serialized again, so what is written stays one JSON object.
 */
export class SecretScrubber {
  private readonly forms = new Set<string>();
  /** The forms as they are: what nearly every line is searched for. */
  private plain?: RegExp;
  /** The forms however encoded; used on text that has the marks of an encoding. */
  private encoded?: RegExp;
  private encodedGlobal?: RegExp;
  /** What text holds if an encoded form is in it: "%"; a backslash if a form has a character JSON escapes; "+" if a space. */
  private encodingMarks = /%/;

  add(...secrets: string[]): void {
    for (const secret of secrets) {
      if (secret !== '') for (const form of [secret, ...base64Cores(secret)]) this.forms.add(form);
    }
    if (this.forms.size === 0) return;
    // Longest first: where two forms overlap, the longer one is the one removed whole.
    const forms = [...this.forms].sort((a, b) => b.length - a.length);
    this.plain = new RegExp(forms.map(escapeRegExp).join('|'));
    const encoded = forms.map((form) => [...form].map(characterPattern).join('')).join('|');
    this.encoded = new RegExp(encoded);
    this.encodedGlobal = new RegExp(encoded, 'g');
    const all = forms.join('');
    this.encodingMarks = new RegExp(
      `[%${JSON.stringify(all).slice(1, -1) === all ? '' : '\\\\'}${all.includes(' ') ? '+' : ''}]`,
    );
  }

  /** Whether `text` holds a configured secret, in any form. */
  holds(text: string): boolean {
    if (!this.plain) return false;
    return this.plain.test(text) || (this.encodingMarks.test(text) && this.encoded!.test(text));
  }

  /** `text` without any configured secret; the same string when it holds none. */
  scrub(text: string): string {
    if (!this.holds(text)) return text;
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      return this.scrubString(text);
    }
    const scrubbed = JSON.stringify(this.scrubValue(parsed)) + (text.endsWith('\n') ? '\n' : '');
    // A secret that spans the line's own syntax (`a","b`) is in no one string: then the line is cut as text.
    return this.holds(scrubbed) ? this.scrubString(text) : scrubbed;
  }

  private scrubString(text: string): string {
    return text.replace(this.encodedGlobal!, REDACTED);
  }

  private scrubValue(value: unknown): unknown {
    if (typeof value === 'string') return this.scrubString(value);
    if (typeof value === 'number') return this.holds(String(value)) ? REDACTED : value;
    if (Array.isArray(value)) return value.map((item) => this.scrubValue(item));
    if (value === null || typeof value !== 'object') return value;
    return Object.fromEntries(
      Object.entries(value).map(([key, inner]) => [this.scrubString(key), this.scrubValue(inner)]),
    );
  }
}

/** The process's configured secrets: what no log line and no error answer may carry. */
export const secrets = new SecretScrubber();
