import fc from 'fast-check';
import { mkdirSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { ERROR_CODES } from '../src/common/error-codes';
import type { TestApp } from './support/test-app';
import { createTestApp } from './support/test-app';

/**
 * Bad input, systematically: generated requests (wrong types, huge strings, deep nesting, unicode edge
 * cases, prototype-pollution keys, impossible dates, mutations of a valid request, malformed JSON, odd
 * content types, odd path segments and query strings) thrown at every endpoint through a real socket.
 *
 * The property, for every request: the status is below 500; the answer is JSON, and an error (>= 400) has
 * the ApiError shape; after a 4xx the stored messages and idempotency keys are exactly as before (a 2xx
 * may change them, and becomes the new baseline); Object.prototype is untouched.
 *
 * Runs are reproducible: FUZZ_SEED (default below) fixes the inputs, and a failure prints the seed and
 * the shrunk counterexample. FUZZ_SCALE=10 runs ten times as many cases.
 */

const SEED = Number(process.env.FUZZ_SEED ?? 20261128);
const SCALE = Number(process.env.FUZZ_SCALE ?? 1);
const runs = (n: number) => Math.max(1, Math.round(n * SCALE));
// A property takes tens of seconds on an idle machine, and several times that beside a CPU-heavy job.
const PROPERTY_TIMEOUT_MS = 300_000;

/** The codes of the ErrorCode enum in /docs-json; anything else in a 4xx is reported in bench-results/fuzz.json. */
const DOCUMENTED_CODES = new Set(Object.keys(ERROR_CODES));

// ---------------------------------------------------------------------------------------------------
// JSON as text. Values are generated as JSON text, not as JS objects, so that a document can hold what
// JSON.stringify never writes: duplicate keys, "__proto__" as a key, numbers beyond a double, nesting
// deeper than JSON.stringify's own recursion allows.

type JsonText = string;

const jStr = (s: string): JsonText => JSON.stringify(s);
const jArr = (items: JsonText[]): JsonText => `[${items.join(',')}]`;
const jObj = (entries: ReadonlyArray<readonly [string, JsonText]>): JsonText =>
  `{${entries.map(([k, v]) => `${jStr(k)}:${v}`).join(',')}}`;

/** Strings a validator, a database or a log line might trip over. */
const EDGE_STRINGS = [
  '',
  ' ',
  '\t\n\r',
  '\u0000',
  'a\u0000b',
  '\uD800', // lone high surrogate
  '\uDFFF', // lone low surrogate
  'x\uDBFF\uDBFF',
  '\u200B\u200C\u200D\u2060', // zero-width
  '\uFEFF', // BOM
  '\u202Eevil\u202C', // RTL override
  '\u2066isolate\u2069',
  'שלום עולם',
  'مرحبا بالعالم',
  'e\u0301\u0301\u0301', // combining marks
  'Z̴̡̢̛̗͓̭̺̈́̋̅̾ͅa̷̧̛͔̖̬̓l̸̰̪̺̑͗g̵͉̹̾o̶̻̓',
  '😀',
  '👩‍👩‍👧‍👦',
  '🇺🇦',
  '\u{10FFFF}',
  '\u{E0001}',
  '\uFFFD\uFFFE\uFFFF',
  '\u2028\u2029',
  '\u001B[31mred',
  '\u007F\u0085',
  'İıſK',
  '１２３４５６７８９', // full-width digits
  '١٢٣٤٥٦٧٨٩', // Arabic-Indic digits
  'null',
  'undefined',
  'NaN',
  'Infinity',
  'true',
  '0',
  '-0',
  '1e999',
  '0x1F',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  "'; DROP TABLE messages; --",
  '%00',
  '%s%n',
  '../../etc/passwd',
  '<script>alert(1)</script>',
  '${7*7}',
  '@username',
  '+4915112345678',
  '00000000-0000-0000-0000-000000000000',
];

const edgeString = fc.constantFrom(...EDGE_STRINGS);
const loneSurrogates = fc.string({
  unit: fc.integer({ min: 0xd800, max: 0xdfff }).map((c) => String.fromCharCode(c)),
  minLength: 1,
  maxLength: 4,
});
const controlChars = fc.string({
  unit: fc.integer({ min: 0, max: 0x1f }).map((c) => String.fromCharCode(c)),
  minLength: 1,
  maxLength: 4,
});
const smallString = fc.oneof(
  { weight: 4, arbitrary: edgeString },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 24 }) },
  { weight: 3, arbitrary: fc.array(edgeString, { minLength: 2, maxLength: 4 }).map((parts) => parts.join('')) },
  { weight: 1, arbitrary: loneSurrogates },
  { weight: 1, arbitrary: controlChars },
  // Ordinary text with one character a database or an encoder might refuse, somewhere inside.
  {
    weight: 2,
    arbitrary: fc
      .tuple(
        fc.string({ maxLength: 8 }),
        fc.constantFrom('\u0000', '\uD800', '\uDFFF', '\uFFFF', '\u{10FFFF}', '\u202E'),
        fc.string({ maxLength: 8 }),
      )
      .map(([before, odd, after]) => before + odd + after),
  },
  { weight: 1, arbitrary: fc.string({ maxLength: 16 }) },
);
/** Up to ~100 000 characters of one kind, around the messengers' limits (4096, 7000) and far beyond. */
const hugeString = fc
  .tuple(
    fc.constantFrom('x', ' ', '😀', 'e\u0301', '\u200B', '\u0000', 'é', '\uD800', '👩‍👩‍👧‍👦'),
    fc.oneof(fc.constantFrom(4095, 4096, 4097, 6999, 7000, 7001), fc.integer({ min: 1, max: 100_000 })),
  )
  .map(([unit, count]) => unit.repeat(Math.max(1, Math.floor(count / unit.length))));

const numberText: fc.Arbitrary<JsonText> = fc.oneof(
  fc.integer().map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => JSON.stringify(n)),
  fc.constantFrom('0', '-0', '1', '-1', '1.5', '4096', '7000', '1000', '1001', '9007199254740993', '1e308', '5e-324'),
  // Valid JSON, but not a double: parsed as Infinity, 0 or a rounded value.
  fc.constantFrom('1e999', '-1e999', '1e-999', '123456789012345678901234567890', '0.0000000000000000000000001'),
);

const leafText: fc.Arbitrary<JsonText> = fc.oneof(
  fc.constantFrom('null', 'true', 'false'),
  numberText,
  smallString.map(jStr),
);

/** Objects and arrays this many levels deep, around and far past any sane limit. */
const deepText: fc.Arbitrary<JsonText> = fc
  .tuple(
    fc.oneof(fc.integer({ min: 50, max: 200 }), fc.integer({ min: 1_000, max: 20_000 })),
    fc.constantFrom(['{"a":', '}'], ['[', ']'], ['[{"a":', '}]'], ['{"constructor":', '}'], ['{"__proto__":', '}']),
    leafText,
  )
  .map(([depth, [open, close], leaf]) => {
    const levels = Math.ceil(depth / close.length);
    return open.repeat(levels) + leaf + close.repeat(levels);
  });

/** Keys that must never reach an object's prototype. */
const POLLUTION: ReadonlyArray<readonly [string, JsonText]> = [
  ['__proto__', '{"polluted":"yes"}'],
  ['constructor', '{"prototype":{"polluted":"yes"}}'],
  ['prototype', '{"polluted":"yes"}'],
  ['__proto__', '{"toString":"x","isAdmin":true}'],
  ['constructor', '{"name":"x"}'],
];
const pollutionEntry = fc.constantFrom(...POLLUTION);
const anyKey = fc.oneof(
  fc.constantFrom(
    '__proto__',
    'constructor',
    'prototype',
    'body',
    'recipients',
    'send_at',
    'provider',
    'recipient',
    'id',
    '',
  ),
  smallString,
);

const anyJsonText: fc.Arbitrary<JsonText> = fc.letrec<{ value: JsonText }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leafText,
    fc.array(tie('value'), { maxLength: 4 }).map(jArr),
    fc.array(fc.tuple(anyKey, tie('value')), { maxLength: 4 }).map(jObj),
  ),
})).value;

/** Anything a field could hold: usually wrong, sometimes huge or deep. */
const fieldValue: fc.Arbitrary<JsonText> = fc.oneof(
  { weight: 6, arbitrary: anyJsonText },
  { weight: 2, arbitrary: hugeString.map(jStr) },
  { weight: 1, arbitrary: deepText },
  { weight: 1, arbitrary: pollutionEntry.map(([k, v]) => jObj([[k, v]])) },
);

// ---------------------------------------------------------------------------------------------------
// Valid requests and their mutations.

const telegramRecipient = fc.oneof(
  fc
    .bigInt({ min: -(10n ** 15n), max: 10n ** 15n })
    .filter((n) => n !== 0n)
    .map(String),
  fc.stringMatching(/^@\w{5,32}$/),
);
const whatsappRecipient = fc.stringMatching(/^\+[1-9]\d{7,14}$/);
const viberRecipient = fc.stringMatching(/^[\x21-\x7e](?:[\x20-\x7e]{0,62}[\x21-\x7e])?$/);
const validRecipient = fc.oneof(
  telegramRecipient.map((recipient) => ({ provider: 'telegram', recipient })),
  whatsappRecipient.map((recipient) => ({ provider: 'whatsapp', recipient })),
  viberRecipient.map((recipient) => ({ provider: 'viber', recipient })),
);

const DAY_MS = 86_400_000;
const pad = (n: number, width: number) => String(n).padStart(width, '0');

/** send_at values at and past the edges: impossible days and times, odd zones, extreme years. */
const edgeDate: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(
    '2026-02-29T00:00:00Z', // not a leap year
    '2028-02-29T00:00:00Z',
    '2026-12-01T23:59:60Z', // leap second
    '2026-12-01T24:00:00Z',
    '2026-12-01T09:00:00+14:00',
    '2026-12-01T09:00:00-12:00',
    '2026-12-01T09:00:00+99:99',
    '2026-12-01T09:00:00+0300',
    '2026-12-01T09:00:00+03',
    '2026-12-01t09:00:00z',
    '2026-12-01T09:00:00.123456789Z',
    '2026-12-01T09:00:00,5Z',
    '2026-12-01T09:00Z',
    '2026-12-01 09:00:00Z',
    '2026-12-01T09:00:00\u221203:00', // a Unicode minus
    '２０２６-１２-０１T09:00:00Z',
    '0000-01-01T00:00:00Z',
    '1970-01-01T00:00:00Z',
    '9999-12-31T23:59:59.999Z',
    '+275760-09-13T00:00:00.000Z',
    '-271821-04-20T00:00:00.000Z',
    '+002026-12-01T09:00:00Z',
    'P1D',
    'now',
    'tomorrow',
    '',
  ),
  fc
    .record({
      year: fc.oneof(fc.integer({ min: 0, max: 9999 }), fc.integer({ min: 10_000, max: 999_999 })),
      month: fc.integer({ min: 0, max: 13 }),
      day: fc.integer({ min: 0, max: 32 }),
      hour: fc.integer({ min: 0, max: 25 }),
      minute: fc.integer({ min: 0, max: 61 }),
      second: fc.integer({ min: 0, max: 61 }),
      fraction: fc.option(fc.stringMatching(/^\d{1,12}$/), { nil: undefined }),
      zone: fc.constantFrom(
        'Z',
        'z',
        '+00:00',
        '-00:00',
        '+03:00',
        '+14:00',
        '-12:00',
        '+24:00',
        '+23:59',
        '+0530',
        '',
      ),
    })
    .map(
      (d) =>
        `${pad(d.year, 4)}-${pad(d.month, 2)}-${pad(d.day, 2)}T${pad(d.hour, 2)}:${pad(d.minute, 2)}:${pad(d.second, 2)}` +
        `${d.fraction === undefined ? '' : `.${d.fraction}`}${d.zone}`,
    ),
  // Around "now" and the one-year limit, in UTC and with an offset.
  fc.tuple(fc.integer({ min: -800 * DAY_MS, max: 800 * DAY_MS }), fc.boolean()).map(([offset, utc]) => {
    const iso = new Date(Date.now() + offset).toISOString();
    return utc ? iso : `${iso.slice(0, 19)}+05:45`;
  }),
  fc.date({ noInvalidDate: true }).map((d) => d.toISOString()),
);

interface RequestShape {
  body: string;
  recipients: Array<{ provider: string; recipient: string }>;
  send_at?: string | null;
}

const validRequest: fc.Arbitrary<RequestShape> = fc.record(
  {
    body: fc.oneof(
      fc.string({ minLength: 1, maxLength: 80 }).map((s) => `fuzz ${s}`),
      fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 }).map((s) => `fuzz ${s}`),
    ),
    recipients: fc.uniqueArray(validRecipient, {
      minLength: 1,
      maxLength: 4,
      selector: (r) => `${r.provider}:${r.recipient.toLowerCase()}`,
    }),
    send_at: fc.option(
      fc.integer({ min: -30 * DAY_MS, max: 300 * DAY_MS }).map((offset) => new Date(Date.now() + offset).toISOString()),
      { nil: undefined },
    ),
  },
  { requiredKeys: ['body', 'recipients'] },
);

type Entries = Array<readonly [string, JsonText]>;
const entriesOf = (value: object): Entries => Object.entries(value).map(([k, v]) => [k, JSON.stringify(v)] as const);

/** One change to a valid request's entries; most make it invalid, some leave it valid. */
type Mutation = (entries: Entries, request: RequestShape) => Entries;

const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.constant<Mutation>((entries) => entries),
  fc.nat().map<Mutation>((i) => (entries) => entries.filter((_, j) => j !== i % entries.length)),
  fc.tuple(fc.nat(), fieldValue).map<Mutation>(
    ([i, value]) =>
      (entries) =>
        entries.map(([k, v], j) => (j === i % entries.length ? [k, value] : [k, v])),
  ),
  // The same key twice: which one wins must not matter to the answer's shape.
  fc.tuple(fc.nat(), fieldValue).map<Mutation>(([i, value]) => (entries) => {
    const [key] = entries[i % entries.length];
    return [...entries, [key, value]];
  }),
  fc.tuple(anyKey, fieldValue).map<Mutation>(([key, value]) => (entries) => [...entries, [key, value]]),
  pollutionEntry.map<Mutation>((entry) => (entries) => [entry, ...entries]),
  fc
    .constantFrom('body', 'recipients', 'send_at')
    .chain((key) => fc.constant<Mutation>((entries) => entries.filter(([k]) => k !== key))),
  edgeDate.map<Mutation>((date) => (entries) => [...entries.filter(([k]) => k !== 'send_at'), ['send_at', jStr(date)]]),
  hugeString.map<Mutation>((body) => (entries) => entries.map(([k, v]) => (k === 'body' ? [k, jStr(body)] : [k, v]))),
  // Inside the recipients.
  fc.tuple(fc.nat(), pollutionEntry).map<Mutation>(
    ([i, [key, value]]) =>
      (entries, request) =>
        withRecipients(
          entries,
          request.recipients.map((r, j) =>
            j === i % request.recipients.length ? jObj([...entriesOf(r), [key, value]]) : JSON.stringify(r),
          ),
        ),
  ),
  fc.tuple(fc.nat(), fc.constantFrom('provider', 'recipient'), fieldValue).map<Mutation>(
    ([i, field, value]) =>
      (entries, request) =>
        withRecipients(
          entries,
          request.recipients.map((r, j) =>
            j === i % request.recipients.length
              ? jObj(entriesOf(r).map(([k, v]) => [k, k === field ? value : v]))
              : JSON.stringify(r),
          ),
        ),
  ),
  fc.tuple(fc.nat(), fc.constantFrom('provider', 'recipient')).map<Mutation>(
    ([i, field]) =>
      (entries, request) =>
        withRecipients(
          entries,
          request.recipients.map((r, j) =>
            j === i % request.recipients.length ? jObj(entriesOf(r).filter(([k]) => k !== field)) : JSON.stringify(r),
          ),
        ),
  ),
  fc.nat().map<Mutation>((i) => (entries, request) => {
    const twice = request.recipients[i % request.recipients.length];
    return withRecipients(
      entries,
      [...request.recipients, twice].map((r) => JSON.stringify(r)),
    );
  }),
  fieldValue.map<Mutation>(
    (item) => (entries, request) =>
      withRecipients(entries, [...request.recipients.map((r) => JSON.stringify(r)), item]),
  ),
  // One past the limit (exactly 1000 is accepted, and validation.e2e-spec covers it).
  fc.integer({ min: 1001, max: 1002 }).map<Mutation>(
    (count) => (entries) =>
      withRecipients(
        entries,
        Array.from({ length: count }, (_, i) =>
          jObj([
            ['provider', '"viber"'],
            ['recipient', jStr(`fuzz-${i}`)],
          ]),
        ),
      ),
  ),
);

function withRecipients(entries: Entries, recipients: JsonText[]): Entries {
  return entries.map(([k, v]) => (k === 'recipients' ? [k, jArr(recipients)] : [k, v]));
}

/** A POST /messages body, as JSON text. */
const postBody: fc.Arbitrary<JsonText> = fc.oneof(
  {
    weight: 6,
    arbitrary: fc
      .tuple(validRequest, fc.array(mutation, { minLength: 0, maxLength: 3 }))
      .map(([request, changes]) =>
        jObj(changes.reduce((entries, change) => change(entries, request), entriesOf(request))),
      ),
  },
  { weight: 1, arbitrary: anyJsonText },
  { weight: 1, arbitrary: deepText },
  { weight: 1, arbitrary: fc.array(fc.tuple(anyKey, fieldValue), { maxLength: 5 }).map(jObj) },
);

/** Idempotency-Key values Node will put on the wire: printable ASCII, and Latin-1 bytes (UTF-8 seen as bytes). */
const idempotencyKey = fc.option(
  fc.oneof(
    fc.uuid(),
    fc.constantFrom('fuzz-key-1', 'fuzz-key-2', '', ' ', 'a'.repeat(255), 'a'.repeat(256)),
    fc.string({ unit: fc.integer({ min: 0x20, max: 0x7e }).map((c) => String.fromCharCode(c)), maxLength: 300 }),
    fc.string({
      unit: fc.integer({ min: 0x80, max: 0xff }).map((c) => String.fromCharCode(c)),
      minLength: 1,
      maxLength: 8,
    }),
  ),
  { nil: undefined, freq: 3 },
);

// ---------------------------------------------------------------------------------------------------
// URLs: path segments and query strings, percent-encoded byte by byte (encodeURIComponent throws on a
// lone surrogate), or raw fragments that are not valid percent-encoding at all.

const encode = (s: string): string =>
  [...Buffer.from(s, 'utf8')]
    .map((b) =>
      /[A-Za-z0-9\-_.~]/.test(String.fromCharCode(b))
        ? String.fromCharCode(b)
        : `%${b.toString(16).toUpperCase().padStart(2, '0')}`,
    )
    .join('');

const rawFragment = fc.constantFrom(
  '%',
  '%G0',
  '%E0%A4%A',
  '%00',
  '%ED%A0%80',
  '%FF%FE',
  '%C0%AF',
  '+',
  '%2B',
  '%20',
  '..',
  '.',
  '%2e%2e',
  '%2F',
  '[]',
  '[0]',
  '%5B%5D',
  ';',
  ',',
  '*',
  '!',
  "'",
);

/** Known ids, filled as the properties run: real messages make 200s, 409s and cancels reachable. */
const knownIds: string[] = [];

const idSegment: fc.Arbitrary<string> = fc.oneof(
  fc.uuid(),
  fc.nat().map((i) => knownIds[i % knownIds.length]),
  fc.nat().map((i) => knownIds[i % knownIds.length].toUpperCase()),
  fc.nat().map((i) => `{${knownIds[i % knownIds.length]}}`),
  fc.nat().map((i) => knownIds[i % knownIds.length].replace(/-/g, '')),
  fc.nat().map((i) => `${knownIds[i % knownIds.length]}${encode(' ')}`),
  fc.nat().map((i) => `urn:uuid:${knownIds[i % knownIds.length]}`),
  fc.constantFrom(
    '00000000-0000-0000-0000-000000000000',
    'ffffffff-ffff-ffff-ffff-ffffffffffff',
    'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF',
  ),
  fc.stringMatching(/^[0-9a-fA-FgG-]{30,40}$/),
  smallString.map(encode),
  hugeString.map((s) => encode(s.slice(0, 300))),
  fc
    .array(fc.oneof(rawFragment, fc.stringMatching(/^[a-z0-9]{0,4}$/)), { minLength: 1, maxLength: 4 })
    .map((parts) => parts.join('')),
);

const JUNK_KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  '__proto__[polluted]',
  'constructor[prototype][polluted]',
  'limit[]',
  'status[]',
  'page',
  '',
];

type QueryPair = readonly [string, string];

/** Pairs a query accepts, with free text where the API takes free text: these reach the database. */
const listPair: fc.Arbitrary<QueryPair> = fc.oneof(
  fc.constantFrom('pending', 'sending', 'sent', 'failed', 'cancelled').map((v) => ['status', v] as const),
  fc.constantFrom('telegram', 'whatsapp', 'viber').map((v) => ['provider', v] as const),
  fc.integer({ min: 1, max: 100 }).map((v) => ['limit', String(v)] as const),
  fc.nat().map((i) => ['cursor', knownIds[i % knownIds.length]] as const),
  smallString.map((v) => ['recipient', v] as const),
);
const inboxPair: fc.Arbitrary<QueryPair> = fc.oneof(
  fc.integer({ min: 1, max: 1000 }).map((v) => ['limit', String(v)] as const),
  smallString.map((v) => ['recipient', v] as const),
);

const queryValue = fc.oneof(
  fc.constantFrom(
    'pending',
    'sending',
    'sent',
    'failed',
    'cancelled',
    'PENDING',
    'telegram',
    'whatsapp',
    'viber',
    'sms',
  ),
  fc.constantFrom(
    '1',
    '50',
    '100',
    '1000',
    '0',
    '101',
    '1001',
    '-1',
    '1.5',
    '1e2',
    '0x10',
    ' 1',
    '1 ',
    '١',
    'NaN',
    'Infinity',
    '9'.repeat(400),
  ),
  fc.uuid(),
  fc.nat().map((i) => knownIds[i % knownIds.length]),
  smallString,
  // Short enough that the whole URL stays under Node's 16 KiB header limit. Past it, Fastify's client-error
  // handler answers 431 before the app sees the request, as JSON but without a `code`.
  hugeString.map((s) => s.slice(0, 200)),
);

/** Any key with any value: wrong types, out of range, unknown keys, pollution keys. */
const junkPair = (keys: readonly string[]): fc.Arbitrary<QueryPair> =>
  fc.tuple(fc.oneof(fc.constantFrom(...keys, ...JUNK_KEYS), smallString), queryValue);

/**
 * A query string: usually valid pairs (free text included) so the request gets as far as the database,
 * sometimes with junk pairs, repeated keys or raw fragments that are not valid percent-encoding.
 */
const queryString = (valid: fc.Arbitrary<QueryPair>, keys: readonly string[]): fc.Arbitrary<string> =>
  fc
    .array(
      fc.oneof(
        { weight: 6, arbitrary: valid.map(([k, v]) => `${encode(k)}=${encode(v)}`) },
        { weight: 3, arbitrary: junkPair(keys).map(([k, v]) => `${encode(k)}=${encode(v)}`) },
        { weight: 1, arbitrary: fc.tuple(fc.constantFrom(...keys), rawFragment).map(([k, v]) => `${encode(k)}=${v}`) },
        { weight: 1, arbitrary: fc.constantFrom(...keys, ...JUNK_KEYS).map(encode) },
        { weight: 1, arbitrary: rawFragment },
      ),
      { maxLength: 5 },
    )
    .map((pairs) => (pairs.length > 0 ? `?${pairs.join('&')}` : ''));

const LIST_KEYS = ['status', 'provider', 'recipient', 'limit', 'cursor'];
const listQuery = queryString(listPair, LIST_KEYS);
const inboxQuery = queryString(inboxPair, ['recipient', 'limit']);

// ---------------------------------------------------------------------------------------------------

interface Answer {
  status: number;
  contentType: string;
  text: string;
}

interface Probe {
  method: string;
  path: string;
  headers?: Record<string, string>;
  body?: string | Buffer;
}

/** Every request, as the report shows it: method, path, headers and the first 300 characters of the body. */
const describeProbe = (p: Probe): string =>
  `${p.method} ${p.path.length > 300 ? `${p.path.slice(0, 300)}…` : p.path} ${JSON.stringify(p.headers ?? {})} ` +
  `${p.body === undefined ? '' : (Buffer.isBuffer(p.body) ? p.body.toString('latin1') : p.body).slice(0, 300)}` +
  `${p.body !== undefined && p.body.length > 300 ? `… (${p.body.length} characters)` : ''}`;

describe('bad input, systematically (fast-check)', () => {
  let t: TestApp;
  let port: number;
  const prototypeKeys = Object.getOwnPropertyNames(Object.prototype).sort();
  const report: Record<
    string,
    { runs: number; seconds: number; statuses: Record<string, number>; undocumentedCodes: Record<string, number> }
  > = {};
  let baseline: Snapshot;

  interface Snapshot {
    messages: number;
    messagesMd5: string;
    keys: number;
    keysMd5: string;
    attempts: number;
  }

  /** What a 4xx must leave alone: the messages (id, status, retries, attempts, updated_at), keys and attempts. */
  async function snapshot(): Promise<Snapshot> {
    const [row] = await t.sql<Snapshot>(`
      SELECT (SELECT count(*)::int FROM messages) AS "messages",
             (SELECT coalesce(md5(string_agg(id::text || status || retries_count || ':' || attempts || ':' || updated_at, ',' ORDER BY id)), '')
                FROM messages) AS "messagesMd5",
             (SELECT count(*)::int FROM idempotency_keys) AS "keys",
             (SELECT coalesce(md5(string_agg(key || status || coalesce(response_status::text, '-'), ',' ORDER BY key)), '')
                FROM idempotency_keys) AS "keysMd5",
             (SELECT count(*)::int FROM message_attempts) AS "attempts"`);
    return row;
  }

  function send(probe: Probe): Promise<Answer> {
    const headers: Record<string, string> = { ...probe.headers };
    const body =
      probe.body === undefined ? undefined : Buffer.isBuffer(probe.body) ? probe.body : Buffer.from(probe.body, 'utf8');
    if (body) headers['content-length'] = String(body.length);
    return new Promise((resolve, reject) => {
      // A connection per request: an answer that closes its socket (a 413, a bad URL) can't trip the next one.
      const req = http.request(
        { host: '127.0.0.1', port, method: probe.method, path: probe.path, headers, agent: false, timeout: 15_000 },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              contentType: String(res.headers['content-type'] ?? ''),
              text: Buffer.concat(chunks).toString('utf8'),
            }),
          );
          res.on('error', reject);
        },
      );
      req.on('timeout', () => req.destroy(new Error(`no answer within 15 s to ${describeProbe(probe)}`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  /** Sends one generated request and checks the property; `name` is the report's row. */
  async function check(name: string, probe: Probe): Promise<void> {
    const answer = await send(probe);
    const row = (report[name] ??= { runs: 0, seconds: 0, statuses: {}, undocumentedCodes: {} });
    row.statuses[answer.status] = (row.statuses[answer.status] ?? 0) + 1;
    const what = () => `${describeProbe(probe)}\n→ ${answer.status} ${answer.contentType} ${answer.text.slice(0, 500)}`;

    if (answer.status >= 500 || answer.status < 200) throw new Error(`a ${answer.status}: ${what()}`);
    if (probe.method !== 'HEAD') {
      if (!/^application\/json\b/.test(answer.contentType)) throw new Error(`not JSON: ${what()}`);
      let json: unknown;
      try {
        json = JSON.parse(answer.text);
      } catch {
        throw new Error(`unparseable JSON: ${what()}`);
      }
      if (answer.status >= 400) {
        const error = json as { statusCode?: unknown; code?: unknown; message?: unknown; errors?: unknown };
        const shaped =
          error.statusCode === answer.status &&
          typeof error.code === 'string' &&
          /^[A-Z][A-Z0-9_]*$/.test(error.code) &&
          typeof error.message === 'string' &&
          (error.errors === undefined ||
            (Array.isArray(error.errors) &&
              error.errors.every(
                (e: { field?: unknown; reason?: unknown }) =>
                  typeof e?.field === 'string' && typeof e?.reason === 'string',
              )));
        if (!shaped) throw new Error(`not the ApiError shape: ${what()}`);
        if (!DOCUMENTED_CODES.has(error.code as string)) {
          row.undocumentedCodes[error.code as string] = (row.undocumentedCodes[error.code as string] ?? 0) + 1;
        }
      } else {
        collectIds(json);
      }
    }

    const now = await snapshot();
    if (answer.status >= 400) {
      if (JSON.stringify(now) !== JSON.stringify(baseline)) {
        throw new Error(
          `a ${answer.status} changed what is stored: ${JSON.stringify(baseline)} → ${JSON.stringify(now)}\n${what()}`,
        );
      }
    } else {
      baseline = now;
    }
    const polluted = Object.getOwnPropertyNames(Object.prototype).sort();
    if (
      JSON.stringify(polluted) !== JSON.stringify(prototypeKeys) ||
      ({} as Record<string, unknown>).polluted !== undefined
    ) {
      throw new Error(`Object.prototype was changed: ${what()}`);
    }
  }

  function collectIds(json: unknown): void {
    const found = (json as { messages?: Array<{ id?: unknown }> })?.messages ??
      (json as { items?: Array<{ id?: unknown }> })?.items ?? [json];
    for (const item of Array.isArray(found) ? found : []) {
      const id = (item as { id?: unknown })?.id;
      if (typeof id === 'string' && !knownIds.includes(id) && knownIds.length < 500) knownIds.push(id);
    }
  }

  /** Runs a property over `arbitrary`, timing it for the report. */
  async function property<T>(
    name: string,
    numRuns: number,
    arbitrary: fc.Arbitrary<T>,
    toProbe: (value: T) => Probe,
  ): Promise<void> {
    const started = Date.now();
    try {
      await fc.assert(
        fc.asyncProperty(arbitrary, (value) => check(name, toProbe(value))),
        { seed: SEED, numRuns: runs(numRuns) },
      );
    } finally {
      const row = (report[name] ??= { runs: 0, seconds: 0, statuses: {}, undocumentedCodes: {} });
      row.runs = Object.values(row.statuses).reduce((sum, n) => sum + n, 0);
      row.seconds = (Date.now() - started) / 1000;
    }
  }

  beforeAll(async () => {
    t = await createTestApp();
    await t.app.listen(0, '127.0.0.1');
    port = (t.app.getHttpServer().address() as AddressInfo).port;

    // Messages in every state, so that retry and cancel meet 202/200 and 409 as well as 400/404.
    const post = async (request: object) =>
      (await t.http.post('/messages').send(request).expect(202)).body.messages[0].id as string;
    const future = new Date(Date.now() + 7 * DAY_MS).toISOString();
    const pendingId = await post({
      body: 'fuzz: pending',
      recipients: [{ provider: 'telegram', recipient: '111111111' }],
      send_at: future,
    });
    t.messengers.whatsapp.script = () => ({ outcome: 'failed', code: '131026', description: 'Message Undeliverable' });
    const failedId = await post({
      body: 'fuzz: failed',
      recipients: [{ provider: 'whatsapp', recipient: '+4915100000001' }],
    });
    const sentId = await post({ body: 'fuzz: sent', recipients: [{ provider: 'viber', recipient: 'fuzz-sent' }] });
    await t.dispatch.dispatchDue();
    const cancelledId = await post({
      body: 'fuzz: cancelled',
      recipients: [{ provider: 'telegram', recipient: '222222222' }],
      send_at: future,
    });
    await t.http.delete(`/messages/${cancelledId}`).expect(200);
    const states = await t.sql<{ status: string }>('SELECT status FROM messages WHERE id = ANY($1) ORDER BY status', [
      [pendingId, failedId, sentId, cancelledId],
    ]);
    expect(states.map((s) => s.status)).toEqual(['cancelled', 'failed', 'pending', 'sent']);
    knownIds.push(pendingId, failedId, sentId, cancelledId);
    baseline = await snapshot();
  }, 60_000);

  afterAll(async () => {
    await t?.close();
    mkdirSync(join(__dirname, '..', 'bench-results'), { recursive: true });
    writeFileSync(
      join(__dirname, '..', 'bench-results', 'fuzz.json'),
      `${JSON.stringify({ seed: SEED, scale: SCALE, at: new Date().toISOString(), properties: report }, null, 2)}\n`,
    );
  });

  it(
    'POST /messages: generated bodies (mutated valid requests, wrong types, huge, deep, unicode, pollution keys, bad dates)',
    async () => {
      await property('POST /messages (JSON)', 1500, fc.tuple(postBody, idempotencyKey), ([body, key]) => ({
        method: 'POST',
        path: '/messages',
        headers: { 'content-type': 'application/json', ...(key === undefined ? {} : { 'idempotency-key': key }) },
        body,
      }));
      // The generator reaches both sides of the API: some requests are accepted, most refused.
      const { statuses } = report['POST /messages (JSON)'];
      expect((statuses['202'] ?? 0) + (statuses['200'] ?? 0)).toBeGreaterThan(50);
      expect(statuses['400'] ?? 0).toBeGreaterThan(500);
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'POST /messages: malformed JSON, odd content types and raw bytes',
    async () => {
      const validText = validRequest.map((r) => JSON.stringify(r));
      const rawBody = fc.oneof(
        fc.tuple(validText, fc.nat()).map(([text, n]) => text.slice(0, n % text.length)),
        fc
          .tuple(
            validText,
            fc.nat(),
            fc.constantFrom('{', '}', '[', ']', ',', ':', '"', '\\', '\u0000', '\uFEFF', "'", 'NaN', '/*', '\n'),
          )
          .map(([text, n, c]) => text.slice(0, n % text.length) + c + text.slice(n % text.length)),
        fc.constantFrom(
          '',
          ' ',
          'null',
          '{',
          '{"body":}',
          '{"body":"x",}',
          "{'body':'x'}",
          'NaN',
          'Infinity',
          '\uFEFF{}',
          '{"body":"\\ud800"}',
          '{"body":"\\x00"}',
          '{"body":"\\u00"}',
          '/* */{}',
          '{"__proto__":{"polluted":"yes"}}',
          '{"constructor":{"prototype":{"polluted":"yes"}}}',
          '{"a":1}{"a":2}',
        ),
        fc.string({ unit: 'binary', maxLength: 200 }),
        fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes)),
        validText.map((text) =>
          Buffer.concat([Buffer.from(text.slice(0, -2)), Buffer.from([0xff, 0xfe, 0xc0, 0xaf]), Buffer.from('"}')]),
        ),
      );
      const contentType = fc.option(
        fc.constantFrom(
          'application/json',
          'application/json; charset=utf-8',
          'application/json; charset=utf-16',
          'application/json; charset=latin1',
          'APPLICATION/JSON',
          'application/json;',
          'application/json, text/plain',
          'text/plain',
          'text/json',
          'application/x-www-form-urlencoded',
          'multipart/form-data; boundary=x',
          'application/xml',
          'application/vnd.api+json',
          '*/*',
          '',
        ),
        { nil: undefined, freq: 10 },
      );
      await property('POST /messages (raw)', 300, fc.tuple(rawBody, contentType), ([body, type]) => ({
        method: 'POST',
        path: '/messages',
        headers: type === undefined ? undefined : { 'content-type': type },
        body,
      }));
    },
    PROPERTY_TIMEOUT_MS,
  );

  it('POST /messages: a body over the 1 MiB limit is a 413 JSON error and stores nothing', async () => {
    const body = JSON.stringify({
      body: 'x'.repeat(1_100_000),
      recipients: [{ provider: 'viber', recipient: 'fuzz-big' }],
    });
    expect(Buffer.byteLength(body)).toBeGreaterThan(1024 * 1024);
    await check('POST /messages (> 1 MiB)', {
      method: 'POST',
      path: '/messages',
      headers: { 'content-type': 'application/json' },
      body,
    });
    expect(report['POST /messages (> 1 MiB)'].statuses).toEqual({ 413: 1 });
  });

  it(
    'GET /messages: generated query strings',
    async () => {
      await property('GET /messages', 300, listQuery, (query) => ({ method: 'GET', path: `/messages${query}` }));
    },
    PROPERTY_TIMEOUT_MS,
  );

  it.each([
    ['GET', ''],
    ['GET', '/attempts'],
    ['POST', '/retry'],
    ['DELETE', ''],
  ])(
    '%s /messages/:id%s: generated ids',
    async (method, suffix) => {
      await property(
        `${method} /messages/:id${suffix}`,
        200,
        fc.tuple(idSegment, fc.option(listQuery, { nil: '' })),
        ([id, query]) => ({
          method,
          path: `/messages/${id}${suffix}${query}`,
          // A body on a GET or DELETE is odd, but allowed on the wire.
          ...(method === 'POST' ? { headers: { 'content-type': 'application/json' }, body: '{}' } : {}),
        }),
      );
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'GET /emulators/:provider/inbox: generated providers and query strings',
    async () => {
      const provider = fc.oneof(
        { weight: 6, arbitrary: fc.constantFrom('telegram', 'whatsapp', 'viber', '%74elegram') },
        {
          weight: 1,
          arbitrary: fc.constantFrom('Telegram', 'TELEGRAM', 'sms', '', '__proto__', 'constructor', 'toString'),
        },
        { weight: 1, arbitrary: smallString.map(encode) },
        { weight: 1, arbitrary: fc.array(rawFragment, { minLength: 1, maxLength: 3 }).map((parts) => parts.join('')) },
      );
      await property('GET /emulators/:provider/inbox', 250, fc.tuple(provider, inboxQuery), ([p, query]) => ({
        method: 'GET',
        path: `/emulators/${p}/inbox${query}`,
      }));
    },
    PROPERTY_TIMEOUT_MS,
  );

  it(
    'any method on any route: unknown methods and paths are JSON 404s, never 5xx',
    async () => {
      const method = fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'HEAD');
      const path = fc.oneof(
        fc.constantFrom(
          '/messages',
          '/messages/',
          '/messages//',
          '/emulators',
          '/emulators/telegram',
          '/docs-json',
          '/',
          '/messages/x/y/z',
          '//messages',
        ),
        fc
          .tuple(idSegment, fc.constantFrom('', '/attempts', '/retry', '/nope'))
          .map(([id, suffix]) => `/messages/${id}${suffix}`),
      );
      await property('any method, any route', 200, fc.tuple(method, path), ([m, p]) => ({
        method: m,
        path: p,
        ...(m === 'POST' || m === 'PUT' || m === 'PATCH'
          ? { headers: { 'content-type': 'application/json' }, body: '{}' }
          : {}),
      }));
    },
    PROPERTY_TIMEOUT_MS,
  );
});
