import { aMessageRequest, aRecipient } from './support/factories';
import { freePort, ServiceProcess, waitFor } from './support/service-process';
import type { TestDatabase } from './support/test-database';
import { createTestDatabase } from './support/test-database';

/**
 * No configured secret reaches a log line, an error answer or a metric, wherever a client puts it: the real
 * service as a process, its whole output read.
 */

const KEYS = { alpha: 'alpha-secret-0123456789abcdef', beta: 'beta+secret/0123456789~abcdef' } as const;
const API_KEYS = Object.entries(KEYS)
  .map(([client, secret]) => `${client}:${secret}`)
  .join(',');

const everyCharacterEncoded = (text: string) =>
  [...Buffer.from(text)].map((b) => `%${b.toString(16).toUpperCase().padStart(2, '0')}`).join('');

/** How each secret could be read back from the output: any of these in it is a leak. */
const leakedForms = (secret: string) => [
  secret,
  encodeURIComponent(secret),
  everyCharacterEncoded(secret),
  everyCharacterEncoded(secret).toLowerCase(),
  // The middle of Basic credentials, clear of the characters that also carry bits of the name.
  Buffer.from(`alpha:${secret}`).toString('base64').slice(12, -4),
];

interface Call {
  /** What the service answers: the secret changes nothing but the log. */
  readonly status: number;
  readonly path: string;
  readonly method?: string;
  readonly headers?: Record<string, string>;
  readonly body?: string;
}

/** A process start (ts-node) takes a few seconds idle, many more beside a CPU-heavy job. */
const STARTUP_MS = 120_000;

const json = { 'content-type': 'application/json' };
const bearer = (secret: string) => ({ authorization: `Bearer ${secret}` });

/** A valid secret everywhere but where it belongs, and in some places where it belongs too. */
const calls = (a: string, b: string): Record<string, Call> => ({
  'in X-Api-Key': { status: 401, path: '/messages', headers: { 'x-api-key': a } },
  'in ?api_key=': { status: 401, path: `/messages?api_key=${a}` },
  'in ?access_token=, percent-encoded': { status: 401, path: `/messages?access_token=${everyCharacterEncoded(a)}` },
  'in ?token=, one character encoded, twice': { status: 401, path: `/messages?token=%2561${a.slice(1)}` },
  'in a parameter of no credential name': {
    status: 200,
    path: `/messages?limit=5&recipient=${encodeURIComponent(b)}`,
    headers: bearer(a),
  },
  'as the name of a parameter': { status: 400, path: `/messages?${a}=1`, headers: bearer(a) },
  'in a custom header': { status: 200, path: '/messages', headers: { ...bearer(a), 'x-custom': a } },
  'in Basic credentials in a custom header': {
    status: 200,
    path: '/messages',
    headers: { ...bearer(a), 'x-custom': `Basic ${Buffer.from(`alpha:${a}`).toString('base64')}` },
  },
  'in the content type': {
    status: 415,
    path: '/messages',
    method: 'POST',
    headers: { ...bearer(a), 'content-type': `application/${a}` },
    body: '{}',
  },
  'in the body of a rejected request': {
    status: 400,
    path: '/messages',
    method: 'POST',
    headers: { ...bearer(a), ...json },
    body: JSON.stringify({
      ...aMessageRequest(),
      recipients: [aRecipient.telegram(), { provider: 'viber', recipient: b }, { provider: 'viber', recipient: b }],
    }),
  },
  'as the name of a body field': {
    status: 400,
    path: '/messages',
    method: 'POST',
    headers: { ...bearer(a), ...json },
    body: JSON.stringify({ [a]: 1 }),
  },
  'in a 404 path segment': { status: 404, path: `/nope/${a}`, headers: bearer(a) },
  'in a 404 path segment, percent-encoded': {
    status: 404,
    path: `/nope/${everyCharacterEncoded(b)}`,
    headers: bearer(b),
  },
  'as a message id': { status: 400, path: `/messages/${encodeURIComponent(b)}`, headers: bearer(b) },
  'in Authorization, its place': { status: 200, path: '/messages', headers: bearer(b) },
});

describe('Configured secrets, with the service as a process', () => {
  let database: TestDatabase;
  let service: ServiceProcess | undefined;
  beforeAll(async () => (database = await createTestDatabase()));
  afterEach(async () => {
    service?.kill('SIGKILL');
    await service?.exited;
  });
  afterAll(() => database.drop());

  it.each(['json', 'pretty'])(
    'reach no line of the %s log at LOG_LEVEL=trace, no error answer and no metric, wherever a client puts them',
    async (format) => {
      const port = await freePort();
      service = new ServiceProcess({
        DATABASE_URL: database.url,
        APP_ROLE: 'api',
        PORT: String(port),
        API_KEYS,
        LOG_LEVEL: 'trace',
        LOG_FORMAT: format,
      });
      const base = `http://127.0.0.1:${port}`;
      await waitFor(
        'the API listens',
        () =>
          fetch(`${base}/health/live`).then(
            (res) => res.ok,
            () => false,
          ),
        STARTUP_MS,
      );

      const answers: string[] = [];
      const statuses: Record<string, [number, number]> = {};
      const ids: string[] = [];
      for (const [what, call] of Object.entries(calls(KEYS.alpha, KEYS.beta))) {
        ids.push(`req-${ids.length}`);
        const res = await fetch(`${base}${call.path}`, {
          method: call.method ?? 'GET',
          headers: { ...call.headers, 'x-request-id': ids[ids.length - 1] },
          body: call.body,
        });
        answers.push(await res.text());
        statuses[what] = [res.status, call.status];
      }
      const metrics = await (await fetch(`${base}/metrics`)).text();
      // Each request's line is still written, just without the secret.
      const logged = (id: string) =>
        service!.lines.some(
          (line) =>
            (format === 'json' ? line.includes(`"reqId":"${id}"`) : line.includes(`reqId=${id}`)) &&
            line.includes('request completed'),
        );
      await waitFor('every request is logged', async () => ids.every(logged), STARTUP_MS);

      for (const [what, [status, expected]] of Object.entries(statuses))
        expect([what, status]).toEqual([what, expected]);
      expect(metrics).toMatch(/^http_requests_total\{method="GET",route="\/messages",status="200"\} 4$/m);
      const output = { log: service.lines.join('\n'), answers: answers.join('\n'), metrics };
      for (const secret of Object.values(KEYS)) {
        for (const form of leakedForms(secret)) {
          for (const [where, text] of Object.entries(output))
            expect([where, form, text.includes(form)]).toEqual([where, form, false]);
        }
      }
      expect(output.log).toContain('[REDACTED]');
    },
    2 * STARTUP_MS,
  );
});
