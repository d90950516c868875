import { REDACTED, SecretScrubber } from './secret-scrubber';

const SECRET = 'alpha-secret-0123456789abcdef';
/** Every character percent-encoded, as a client may send it. */
const everyCharacterEncoded = (text: string) =>
  [...Buffer.from(text)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');

function scrubberOf(...secrets: string[]): SecretScrubber {
  const scrubber = new SecretScrubber();
  scrubber.add(...secrets);
  return scrubber;
}

/** A pino line with `value` in its request URL. */
const lineWith = (value: string) =>
  `${JSON.stringify({ level: 30, reqId: 'r-1', req: { method: 'GET', url: `/messages?x=${value}` }, msg: 'request completed' })}\n`;

describe('SecretScrubber', () => {
  const scrubber = scrubberOf(SECRET);

  it('returns text that holds no secret as it is', () => {
    const line = lineWith('123456789');
    expect(scrubber.scrub(line)).toBe(line);
    expect(scrubberOf().scrub(`${SECRET}`)).toBe(SECRET);
  });

  it('replaces the secret in plain text', () => {
    expect(scrubber.scrub(`Error: invalid input syntax for type uuid: "${SECRET}"`)).toBe(
      `Error: invalid input syntax for type uuid: "${REDACTED}"`,
    );
  });

  it('replaces it in a JSON line, which stays one valid JSON object with everything else intact', () => {
    const line = scrubber.scrub(lineWith(SECRET));
    expect(line.endsWith('}\n')).toBe(true);
    expect(JSON.parse(line)).toEqual({
      level: 30,
      reqId: 'r-1',
      req: { method: 'GET', url: `/messages?x=${REDACTED}` },
      msg: 'request completed',
    });
  });

  it.each([
    ['every character percent-encoded', everyCharacterEncoded(SECRET)],
    ['as encodeURIComponent writes it', encodeURIComponent(SECRET)],
    ['one character percent-encoded', `%61${SECRET.slice(1)}`],
    ['one character percent-encoded in lower case', `${SECRET.slice(0, 5)}%2d${SECRET.slice(6)}`],
    ['percent-encoded twice', encodeURIComponent(everyCharacterEncoded(SECRET))],
    ['percent-encoded three times', encodeURIComponent(encodeURIComponent(`%61${SECRET.slice(1)}`))],
  ])('finds it %s', (_, written) => {
    const line = scrubber.scrub(lineWith(written));
    expect(JSON.parse(line).req.url).toBe(`/messages?x=${REDACTED}`);
  });

  it.each([0, 1, 2])('finds it base64-encoded in Basic credentials, %i byte(s) after the start', (offset) => {
    const credentials = Buffer.from(`${'u'.repeat(offset)}:${SECRET}`).toString('base64');
    const line = scrubber.scrub(`${JSON.stringify({ headers: { 'x-custom': `Basic ${credentials}` } })}\n`);
    expect(line).not.toContain(credentials.slice(4, -4));
    expect(JSON.parse(line).headers['x-custom']).toContain(REDACTED);
  });

  it('finds a secret holding characters JSON escapes, in a line and in JSON inside a string of a line', () => {
    const awkward = 'q"uote\\back-0123456789abcdef';
    const escaping = scrubberOf(awkward);
    const line = `${JSON.stringify({ msg: `bad value ${awkward}`, detail: JSON.stringify({ value: awkward }) })}\n`;
    const scrubbed = escaping.scrub(line);
    expect(JSON.parse(scrubbed)).toEqual({ msg: `bad value ${REDACTED}`, detail: JSON.stringify({ value: REDACTED }) });
    expect(escaping.scrub(lineWith(encodeURIComponent(awkward)))).not.toContain(encodeURIComponent(awkward));
  });

  it('finds it in a key, in a number, in an array, in an error stack', () => {
    const digits = scrubberOf('1234567890123456');
    expect(JSON.parse(digits.scrub(JSON.stringify({ n: 1234567890123456, ok: 1 })))).toEqual({ n: REDACTED, ok: 1 });
    const line = JSON.stringify({
      query: { [SECRET]: '1' },
      list: ['a', SECRET],
      err: { stack: `Error: no ${SECRET}\n    at f (x.ts:1)` },
    });
    expect(JSON.parse(scrubber.scrub(line))).toEqual({
      query: { [REDACTED]: '1' },
      list: ['a', REDACTED],
      err: { stack: `Error: no ${REDACTED}\n    at f (x.ts:1)` },
    });
  });

  it('leaves no secret in a line whose own syntax it spans', () => {
    const spanning = scrubberOf('abcdefgh","y":"ijklmnop');
    const line = JSON.stringify({ x: 'abcdefgh', y: 'ijklmnop' });
    expect(spanning.scrub(line)).not.toContain('abcdefgh","y":"ijklmnop');
  });

  it('knows every secret added, at any time, and ignores an empty one', () => {
    const registry = scrubberOf('first-secret-0123456789');
    registry.add('', 'second-secret-0123456789');
    expect(registry.scrub('first-secret-0123456789 second-secret-0123456789 x')).toBe(`${REDACTED} ${REDACTED} x`);
  });
});
