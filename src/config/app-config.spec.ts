import { AppConfig, InvalidConfigError, loadConfig } from './app-config';
import { MESSENGER_NAMES } from '../providers/messengers';

type Env = Record<string, string | undefined>;

/** The error loadConfig throws for `env`, or a failed expectation if it accepts it. */
function refusalOf(env: Env): InvalidConfigError {
  let refusal: unknown;
  try {
    loadConfig(env);
  } catch (error) {
    refusal = error;
  }
  expect(refusal).toBeInstanceOf(InvalidConfigError);
  return refusal as InvalidConfigError;
}

/** Production serves the API only with keys; this one is for specs that are about something else. */
const KEYS = { API_KEYS: 'ops:0123456789abcdef0123' };

/** The error's problems, one per listed line. */
const problemsOf = (env: Env): string[] =>
  refusalOf(env)
    .message.split('\n')
    .slice(1)
    .map((line) => line.replace(/^\s*-\s*/, ''));

describe('loadConfig', () => {
  describe('with nothing set', () => {
    const config = loadConfig({});

    it('returns an AppConfig', () => {
      expect(config).toBeInstanceOf(AppConfig);
    });

    it('uses the documented defaults', () => {
      expect(config).toMatchObject({
        NODE_ENV: 'development',
        PORT: 3000,
        HOST: '0.0.0.0',
        APP_ROLE: 'all',
        DISPATCH_CRON: '*/10 * * * * *',
        DISPATCH_BATCH_SIZE: 100,
        DISPATCH_CONCURRENCY: 20,
        DISPATCH_LEASE_SECONDS: 60,
        DISPATCH_SEND_TIMEOUT_MS: 10_000,
        MAX_RETRIES: 5,
        RETRY_BASE_DELAY_MS: 1_000,
        RETRY_MAX_DELAY_MS: 300_000,
        EMULATOR_FAILURE_RATE: 0.02,
        EMULATOR_LATENCY_MS: 50,
        DATABASE_QUERY_TIMEOUT_MS: 5_000,
        DATABASE_CONNECT_TIMEOUT_MS: 3_000,
      });
    });

    it('answers a request within 10 s on a frozen database: a wait for a connection, one statement, 2 s to spare', () => {
      // A request meets the freeze in one statement: it fails it and answers 503 (see database-freeze.e2e-spec.ts).
      expect(config.DATABASE_CONNECT_TIMEOUT_MS + config.DATABASE_QUERY_TIMEOUT_MS).toBeLessThanOrEqual(10_000 - 2_000);
    });

    it('leaves the optional settings unset: embedded database, format by NODE_ENV, random seed', () => {
      expect(config.DATABASE_URL).toBeUndefined();
      expect(config.LOG_FORMAT).toBeUndefined();
      expect(config.LOG_LEVEL).toBe('info');
      expect(config.HEALTH_PORT).toBeUndefined();
      expect(config.EMULATOR_SEED).toBeUndefined();
    });
  });

  it.each([
    // APP_ROLE, runsApi, runsWorker
    ['all', true, true],
    ['api', true, false],
    ['worker', false, true],
  ])('APP_ROLE=%s: runsApi %p, runsWorker %p', (role, api, worker) => {
    const config = loadConfig({ APP_ROLE: role });
    expect(config.runsApi).toBe(api);
    expect(config.runsWorker).toBe(worker);
  });

  it.each([
    [{}, 'pretty'],
    [{ NODE_ENV: 'test' }, 'pretty'],
    [{ NODE_ENV: 'production', ...KEYS }, 'json'],
    [{ NODE_ENV: 'production', LOG_FORMAT: 'pretty', ...KEYS }, 'pretty'],
    [{ NODE_ENV: 'development', LOG_FORMAT: 'json' }, 'json'],
  ])('with %j logs as %s', (env, format) => {
    expect(loadConfig(env).logFormat).toBe(format);
  });

  it.each([
    ['PORT', '8080', 8080],
    ['PORT', '0', 0],
    ['DISPATCH_BATCH_SIZE', '50', 50],
    ['DISPATCH_CONCURRENCY', '50', 50],
    ['DISPATCH_LEASE_SECONDS', '600', 600],
    ['DISPATCH_SEND_TIMEOUT_MS', '2500', 2500],
    ['MAX_RETRIES', '0', 0],
    ['RETRY_BASE_DELAY_MS', '250', 250],
    ['RETRY_MAX_DELAY_MS', '60000', 60_000],
    ['EMULATOR_FAILURE_RATE', '0.25', 0.25],
    ['EMULATOR_FAILURE_RATE', '1', 1],
    ['EMULATOR_SEED', '42', 42],
    ['EMULATOR_SEED', '-7', -7],
    ['EMULATOR_LATENCY_MS', '0', 0],
    ['HEALTH_PORT', '9464', 9464],
    ['DATABASE_QUERY_TIMEOUT_MS', '30000', 30_000],
    ['DATABASE_CONNECT_TIMEOUT_MS', '100', 100],
  ])('reads %s=%p as the number %p', (variable, value, number) => {
    expect(loadConfig({ [variable]: value })[variable as keyof AppConfig]).toBe(number);
  });

  it.each([
    ['DATABASE_URL', 'postgres://user:pass@db:5432/dispatch'],
    ['DATABASE_URL', 'postgresql://db/dispatch'],
    ['DISPATCH_CRON', '0 */5 * * * *'],
    ['NODE_ENV', 'production'],
    ['LOG_LEVEL', 'debug'],
    ['HOST', '127.0.0.1'],
    ['HOST', '::'],
  ])('takes %s=%p as given', (variable, value) => {
    expect(loadConfig({ ...KEYS, [variable]: value })[variable as keyof AppConfig]).toBe(value);
  });

  it.each([
    [{ PORT: 'abc' }, 'PORT'],
    [{ PORT: '70000' }, 'PORT'],
    [{ PORT: '80.5' }, 'PORT'],
    [{ APP_ROLE: 'boss' }, 'APP_ROLE'],
    [{ LOG_FORMAT: 'xml' }, 'LOG_FORMAT'],
    [{ LOG_LEVEL: 'loud' }, 'LOG_LEVEL'],
    [{ HEALTH_PORT: '0' }, 'HEALTH_PORT'], // a worker's listener needs a real port; unset means none
    [{ HOST: 'localhost' }, 'HOST'], // an address, not a name to resolve
    [{ HOST: '127.0.0.256' }, 'HOST'],
    [{ EMULATOR_FAILURE_RATE: '1.5' }, 'EMULATOR_FAILURE_RATE'],
    [{ EMULATOR_FAILURE_RATE: '-0.1' }, 'EMULATOR_FAILURE_RATE'],
    [{ EMULATOR_FAILURE_RATE: 'often' }, 'EMULATOR_FAILURE_RATE'],
    [{ EMULATOR_SEED: '1.5' }, 'EMULATOR_SEED'],
    [{ EMULATOR_LATENCY_MS: '-1' }, 'EMULATOR_LATENCY_MS'],
    [{ MAX_RETRIES: '-1' }, 'MAX_RETRIES'],
    [{ DISPATCH_CONCURRENCY: '1001' }, 'DISPATCH_CONCURRENCY'],
    [{ DATABASE_QUERY_TIMEOUT_MS: '0' }, 'DATABASE_QUERY_TIMEOUT_MS'], // a statement always has a bound
    [{ DATABASE_CONNECT_TIMEOUT_MS: '5s' }, 'DATABASE_CONNECT_TIMEOUT_MS'],
    [{ DATABASE_URL: 'mysql://x' }, 'DATABASE_URL'],
    [{ DISPATCH_CRON: 'every minute' }, 'DISPATCH_CRON'],
    [{ DISPATCH_CRON: '* * * * *' }, 'DISPATCH_CRON'], // five fields: the seconds are missing
    [{ DISPATCH_CRON: '61 * * * * *' }, 'DISPATCH_CRON'], // six fields, but no second 61
    [{ RETRY_MAX_DELAY_MS: '500' }, 'RETRY_MAX_DELAY_MS'], // below the default base of 1 s
    [{ RETRY_BASE_DELAY_MS: '5000', RETRY_MAX_DELAY_MS: '4999' }, 'RETRY_MAX_DELAY_MS'],
    // ceil(100 / 20) × 10 s = 50 s of sending; the lease must outlast it
    [{ DISPATCH_LEASE_SECONDS: '30' }, 'DISPATCH_LEASE_SECONDS'],
    [{ DISPATCH_LEASE_SECONDS: '50' }, 'DISPATCH_LEASE_SECONDS'],
    [{ DISPATCH_BATCH_SIZE: '101' }, 'DISPATCH_LEASE_SECONDS'], // ceil(101 / 20) = 6 rounds: 60 s, the whole lease
    [{ DISPATCH_SEND_TIMEOUT_MS: '60000' }, 'DISPATCH_LEASE_SECONDS'],
  ])('refuses %j, naming %s', (env, variable) => {
    const problems = problemsOf(env);
    expect(problems.length).toBeGreaterThan(0);
    for (const problem of problems) expect(problem).toMatch(new RegExp(`^${variable}[=:]`));
  });

  it.each([
    { DISPATCH_LEASE_SECONDS: '51' },
    {
      DISPATCH_BATCH_SIZE: '100',
      DISPATCH_CONCURRENCY: '1',
      DISPATCH_SEND_TIMEOUT_MS: '500',
      DISPATCH_LEASE_SECONDS: '51',
    },
    { RETRY_BASE_DELAY_MS: '5000', RETRY_MAX_DELAY_MS: '5000' },
  ])('accepts the edge case %j', (env) => {
    expect(() => loadConfig(env)).not.toThrow();
  });

  it('quotes the refused value', () => {
    const problems = problemsOf({ PORT: 'abc' });
    expect(problems.length).toBeGreaterThan(0);
    for (const problem of problems) expect(problem).toMatch(/^PORT="abc": /);
  });

  it('lists every bad variable in one error', () => {
    const env = {
      PORT: 'abc',
      APP_ROLE: 'boss',
      DATABASE_URL: 'mysql://x',
      MAX_RETRIES: '-1',
      DISPATCH_CRON: '61 * * * * *',
    };
    const problems = problemsOf(env);
    for (const variable of Object.keys(env)) {
      expect(problems).toContainEqual(expect.stringMatching(new RegExp(`^${variable}=`)));
    }
  });

  it('ignores environment variables it does not know', () => {
    const config = loadConfig({ HOME: '/root', PATH: '/usr/bin', SOME_OTHER_PORT: 'abc', PORT: '4000' });
    expect(config.PORT).toBe(4000);
    expect(config).not.toHaveProperty('HOME');
    expect(config).not.toHaveProperty('SOME_OTHER_PORT');
  });

  it('treats empty and undefined variables as unset', () => {
    const blank = Object.fromEntries(Object.keys(loadConfig({})).map((key) => [key, '']));
    expect(loadConfig(blank)).toEqual(loadConfig({}));
    expect(loadConfig({ PORT: undefined, DATABASE_URL: '', EMULATOR_SEED: '', LOG_FORMAT: '' })).toEqual(
      loadConfig({}),
    );
  });
});

describe('API keys, open mode and the production rule', () => {
  const secret = (c: string) => c.repeat(20);

  it('reads API_KEYS as clients and their secrets; a secret may hold ":"; spaces around entries are dropped', () => {
    const config = loadConfig({ API_KEYS: ` billing:${secret('b')} , crm:${secret('c')}:x ` });
    expect(config.apiKeys).toEqual([
      { client: 'billing', secret: secret('b') },
      { client: 'crm', secret: `${secret('c')}:x` },
    ]);
  });

  it('has no keys when API_KEYS is unset: open mode', () => {
    expect(loadConfig({}).apiKeys).toEqual([]);
  });

  it.each([
    ['an entry without a name', `${secret('a')}`, 'entry 1 has no ":" between the client name and the secret'],
    ['an empty entry', `a:${secret('a')},`, 'entry 2 is empty'],
    ['a name with a space', `the crm:${secret('a')}`, 'entry 1: the client name must be 1-64 letters'],
    ['a 65-character name', `${'n'.repeat(65)}:${secret('a')}`, 'entry 1: the client name must be 1-64 letters'],
    ['a short secret', 'crm:eleven-char', 'entry 1 (crm): the secret is 11 characters; it must have at least 16'],
    ['a secret with a space', `crm:${secret('a')} x`, 'entry 1 (crm): the secret must be printable ASCII'],
    ['a name listed twice', `crm:${secret('a')},crm:${secret('b')}`, 'the client name "crm" is listed twice'],
    ['a secret listed twice', `crm:${secret('a')},billing:${secret('a')}`, '"crm" and "billing" have the same secret'],
  ])('refuses %s, and says which entry', (_, value, problem) => {
    const [line, ...others] = problemsOf({ API_KEYS: value });
    expect(others).toEqual([]);
    expect(line).toContain(problem);
    expect(line).toMatch(/^API_KEYS=\(not shown\): /);
  });

  it('never prints a secret, not even one that is refused', () => {
    const leaked = 'sup3r-s3cret-value-1234';
    const message = refusalOf({ API_KEYS: `${leaked},crm:short,a:${leaked},b:${leaked}` }).message;
    expect(message).toMatch(/API_KEYS/);
    expect(message).not.toContain(leaked);
    expect(message).not.toContain('short');
  });

  it.each(['all', 'api'])('refuses to serve the API (APP_ROLE=%s) in production without keys', (role) => {
    const problems = problemsOf({ NODE_ENV: 'production', APP_ROLE: role });
    expect(problems).toEqual([
      expect.stringMatching(/^API_KEYS: must be set when NODE_ENV=production .*open to anyone/),
    ]);
  });

  it('lets a production worker start without keys: it serves no API', () => {
    expect(loadConfig({ NODE_ENV: 'production', APP_ROLE: 'worker' }).apiKeys).toEqual([]);
  });

  it('runs open outside production', () => {
    expect(() => loadConfig({ NODE_ENV: 'development', APP_ROLE: 'all' })).not.toThrow();
    expect(() => loadConfig({ NODE_ENV: 'staging', APP_ROLE: 'api' })).not.toThrow();
  });
});

describe('the rate limit, the body limit and CORS', () => {
  it('limits each client to 1000 requests a second by default, in windows that hold a burst of two seconds', () => {
    expect(loadConfig({}).rateLimit).toEqual({ max: 2000, windowMs: 2000 });
  });

  it('makes the window as long as the steady rate takes to earn the burst', () => {
    expect(loadConfig({ API_RATE_LIMIT_PER_SECOND: '50', API_RATE_LIMIT_BURST: '500' }).rateLimit).toEqual({
      max: 500,
      windowMs: 10_000,
    });
    expect(loadConfig({ API_RATE_LIMIT_PER_SECOND: '3', API_RATE_LIMIT_BURST: '4' }).rateLimit).toEqual({
      max: 4,
      windowMs: 1333,
    });
  });

  it('turns the limit off with API_RATE_LIMIT_PER_SECOND=0', () => {
    expect(loadConfig({ API_RATE_LIMIT_PER_SECOND: '0' }).rateLimit).toBeNull();
  });

  it.each([
    [{ API_RATE_LIMIT_PER_SECOND: '-1' }, 'API_RATE_LIMIT_PER_SECOND'],
    [{ API_RATE_LIMIT_PER_SECOND: 'lots' }, 'API_RATE_LIMIT_PER_SECOND'],
    [{ API_RATE_LIMIT_BURST: '0' }, 'API_RATE_LIMIT_BURST'],
    [{ API_RATE_LIMIT_PER_SECOND: '100', API_RATE_LIMIT_BURST: '99' }, 'API_RATE_LIMIT_BURST'],
    [{ API_BODY_LIMIT_BYTES: '1023' }, 'API_BODY_LIMIT_BYTES'],
    [{ API_BODY_LIMIT_BYTES: '1MB' }, 'API_BODY_LIMIT_BYTES'],
    [{ HTTP_REQUEST_TIMEOUT_MS: '30001' }, 'HTTP_REQUEST_TIMEOUT_MS'],
    [{ HTTP_REQUEST_TIMEOUT_MS: '0' }, 'HTTP_REQUEST_TIMEOUT_MS'],
    [{ API_MAX_BYTES_IN_FLIGHT: '1000' }, 'API_MAX_BYTES_IN_FLIGHT'],
    [{ API_MAX_RECIPIENTS_IN_FLIGHT: '0' }, 'API_MAX_RECIPIENTS_IN_FLIGHT'],
    [{ API_MAX_RECIPIENTS_IN_FLIGHT: 'many' }, 'API_MAX_RECIPIENTS_IN_FLIGHT'],
    [{ CORS_ORIGINS: 'example.com' }, 'CORS_ORIGINS'],
    [{ CORS_ORIGINS: 'https://app.example.com/' }, 'CORS_ORIGINS'],
    [{ CORS_ORIGINS: 'https://app.example.com/path' }, 'CORS_ORIGINS'],
    [{ CORS_ORIGINS: 'ftp://app.example.com' }, 'CORS_ORIGINS'],
  ])('refuses %j, naming %s', (env, variable) => {
    const problems = problemsOf(env);
    expect(problems.length).toBeGreaterThan(0);
    for (const problem of problems) expect(problem).toMatch(new RegExp(`^${variable}[=:]`));
  });

  it('accepts a body limit of 1 MiB by default', () => {
    expect(loadConfig({}).API_BODY_LIMIT_BYTES).toBe(1_048_576);
  });

  it('gives a request 30 s to arrive in full by default, and never more', () => {
    expect(loadConfig({}).HTTP_REQUEST_TIMEOUT_MS).toBe(30_000);
    expect(loadConfig({ HTTP_REQUEST_TIMEOUT_MS: '1000' }).HTTP_REQUEST_TIMEOUT_MS).toBe(1_000);
  });

  it('admits 1 MiB of request bodies and 4000 recipients in flight by default: sized for the image heap of 192 MB', () => {
    expect(loadConfig({})).toMatchObject({ API_MAX_BYTES_IN_FLIGHT: 1024 * 1024, API_MAX_RECIPIENTS_IN_FLIGHT: 4000 });
  });

  it('has no CORS origins unless configured, and reads a list of them', () => {
    expect(loadConfig({}).corsOrigins).toEqual([]);
    expect(loadConfig({ CORS_ORIGINS: 'https://app.example.com, http://localhost:5173' }).corsOrigins).toEqual([
      'https://app.example.com',
      'http://localhost:5173',
    ]);
  });

  it('names the entry of CORS_ORIGINS that is not an origin', () => {
    expect(problemsOf({ CORS_ORIGINS: 'https://a.example.com,https://b.example.com/' })).toEqual([
      expect.stringContaining('entry 2 ("https://b.example.com/") is not an origin'),
    ]);
  });
});

describe('the settings each messenger has', () => {
  it.each(MESSENGER_NAMES)('%s has DISPATCH_RATE_ and EMULATOR_ settings, read back by name', (name) => {
    const upper = name.toUpperCase();
    const config = loadConfig({ [`DISPATCH_RATE_${upper}`]: '12.5', [`EMULATOR_${upper}`]: 'latency_ms=0' });
    expect(config.dispatchRate(name)).toBe(12.5);
    expect(config.emulatorOverrides(name)).toBe('latency_ms=0');
    expect(loadConfig({}).dispatchRate(name)).toBeUndefined();
  });

  it.each(MESSENGER_NAMES)('%s: a bad DISPATCH_RATE_ is refused, named, as any number setting is', (name) => {
    const variable = `DISPATCH_RATE_${name.toUpperCase()}`;
    expect(problemsOf({ [variable]: 'fast' })).toEqual([`${variable}="fast": must be a number`]);
    expect(problemsOf({ [variable]: '-1' })).toEqual([`${variable}="-1": must not be less than 0`]);
  });
});

describe('status callbacks', () => {
  const whsec = (fill: string) => `whsec_${Buffer.alloc(32, fill).toString('base64')}`;

  it('retries for 24 hours, the first retry within 5 s, each attempt given 5 s, by default', () => {
    const config = loadConfig({});
    expect(config.callbackSchedule).toEqual({
      baseDelayMs: 5_000,
      factor: 3,
      maxDelayMs: 3_600_000,
      horizonMs: 86_400_000,
    });
    expect(config.CALLBACK_TIMEOUT_MS).toBe(5_000);
    expect(config.callbacksMayReachPrivateNetworks).toBe(false);
    expect(config.callbackSecrets.size).toBe(0);
  });

  it('reads the secrets and the default URLs per client', () => {
    const config = loadConfig({
      CALLBACK_SECRETS: `crm:${whsec('a')},crm:${whsec('b')},shop:${whsec('c')}`,
      CALLBACK_URLS: 'crm:https://crm.example.com/hooks',
    });
    expect(config.callbackSecrets.get('crm')).toHaveLength(2);
    expect(config.callbackUrls.get('crm')).toBe('https://crm.example.com/hooks');
  });

  it('never prints a callback secret, not even a refused one', () => {
    const leaked = 'whsec_c2hvcnQ=';
    const message = refusalOf({ CALLBACK_SECRETS: `crm:${leaked}` }).message;
    expect(message).toMatch(/^ {2}- CALLBACK_SECRETS=\(not shown\): entry 1 \(crm\): the secret decodes to 5 bytes/m);
    expect(message).not.toContain(leaked);
  });

  it('refuses settings that do not fit together, naming each', () => {
    expect(
      problemsOf({
        CALLBACK_SECRETS: `crm:${whsec('a')}`,
        CALLBACK_URLS: 'shop:https://shop.example.com/hooks,crm:http://10.0.0.7/hooks',
        CALLBACK_RETRY_BASE_DELAY_MS: '10000',
        CALLBACK_RETRY_MAX_DELAY_MS: '5000',
        CALLBACK_TIMEOUT_MS: '5000',
        CALLBACK_LEASE_MS: '6000',
      }),
    ).toEqual([
      'CALLBACK_URLS: entry 2 (crm): the URL must not point to a private-network address (CALLBACK_ALLOW_PRIVATE_NETWORKS=true allows it)',
      'CALLBACK_URLS: "shop" has a URL but no secret in CALLBACK_SECRETS to sign its callbacks with',
      'CALLBACK_RETRY_MAX_DELAY_MS: must not be smaller than CALLBACK_RETRY_BASE_DELAY_MS',
      expect.stringMatching(/^CALLBACK_LEASE_MS: must be at least twice CALLBACK_TIMEOUT_MS \(10000 ms\)/),
    ]);
  });

  it('lets callbacks reach private networks with CALLBACK_ALLOW_PRIVATE_NETWORKS=true', () => {
    const config = loadConfig({
      CALLBACK_SECRETS: `crm:${whsec('a')}`,
      CALLBACK_URLS: 'crm:http://127.0.0.1:8080/hooks',
      CALLBACK_ALLOW_PRIVATE_NETWORKS: 'true',
    });
    expect(config.callbackUrls.get('crm')).toBe('http://127.0.0.1:8080/hooks');
  });
});
