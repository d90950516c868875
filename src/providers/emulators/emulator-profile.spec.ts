import { emulatorProfileFor } from './emulator-settings';
import { InvalidConfigError, loadConfig } from '../../config/app-config';
import type { EmulatorDefaults } from './emulator-profile';
import { emulatorProfile, parseEmulatorOverrides } from './emulator-profile';

describe('parseEmulatorOverrides', () => {
  it.each([
    ['failure_rate=0.1', { failureRate: 0.1 }],
    ['failure_rate=1', { failureRate: 1 }],
    ['rate_limited_rate=0.25', { rateLimitedRate: 0.25 }],
    ['permanent_rate=0', { permanentRate: 0 }],
    ['lost_answer_rate=0.05', { lostAnswerRate: 0.05 }],
    ['latency_ms=200', { latencyMs: 200 }],
    ['latency_ms=0', { latencyMs: 0 }],
    ['limit=30/1000', { limit: { count: 30, windowMs: 1000 } }],
    ['limit=0', { limit: null }],
    ['recipient_interval_ms=0', { recipientIntervalMs: 0 }],
    ['recipient_interval_ms=6000', { recipientIntervalMs: 6000 }],
  ])('reads %p', (text, overrides) => {
    expect(parseEmulatorOverrides(text)).toStrictEqual({ overrides, problems: [] });
  });

  it('reads several keys at once, around spaces and stray commas', () => {
    expect(
      parseEmulatorOverrides(
        ' failure_rate = 0.1 , latency_ms=200,,limit=500/10000, recipient_interval_ms=0,permanent_rate=0.5,rate_limited_rate=0.01 ,',
      ),
    ).toStrictEqual({
      overrides: {
        failureRate: 0.1,
        latencyMs: 200,
        limit: { count: 500, windowMs: 10_000 },
        recipientIntervalMs: 0,
        permanentRate: 0.5,
        rateLimitedRate: 0.01,
      },
      problems: [],
    });
  });

  it('reads nothing from an empty text', () => {
    expect(parseEmulatorOverrides('')).toStrictEqual({ overrides: {}, problems: [] });
  });

  it('names an unknown key, and the known ones', () => {
    const { overrides, problems } = parseEmulatorOverrides('bogus=1');
    expect(overrides).toStrictEqual({});
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatch(/unknown key "bogus"/);
    for (const known of [
      'failure_rate',
      'rate_limited_rate',
      'permanent_rate',
      'latency_ms',
      'limit',
      'recipient_interval_ms',
    ]) {
      expect(problems[0]).toContain(known);
    }
  });

  it('takes key names as written: FAILURE_RATE is not failure_rate', () => {
    expect(parseEmulatorOverrides('FAILURE_RATE=0.1').problems).toStrictEqual([
      expect.stringMatching(/unknown key "FAILURE_RATE"/),
    ]);
  });

  it.each(['failure_rate=1.5', 'failure_rate=-0.1', 'rate_limited_rate=2', 'permanent_rate=1.01'])(
    'refuses the out-of-range rate %p',
    (text) => {
      const key = text.split('=')[0];
      expect(parseEmulatorOverrides(text)).toStrictEqual({
        overrides: {},
        problems: [`${key} must be a number from 0 to 1`],
      });
    },
  );

  it.each(['failure_rate=abc', 'failure_rate=', 'failure_rate', 'permanent_rate=0x1', 'rate_limited_rate=1e-3'])(
    'refuses the non-numeric rate %p',
    (text) => {
      const key = text.split('=')[0];
      expect(parseEmulatorOverrides(text)).toStrictEqual({
        overrides: {},
        problems: [`${key} must be a number from 0 to 1`],
      });
    },
  );

  it.each([
    'latency_ms=abc',
    'latency_ms=1.5',
    'latency_ms=-5',
    'latency_ms=',
    'latency_ms=60001',
    'recipient_interval_ms=soon',
    'recipient_interval_ms=0.5',
    'recipient_interval_ms=1e3',
    'recipient_interval_ms=3600001',
  ])('refuses %p: not a whole number of milliseconds within bounds', (text) => {
    const key = text.split('=')[0];
    expect(parseEmulatorOverrides(text)).toStrictEqual({
      overrides: {},
      problems: [expect.stringMatching(new RegExp(`^${key} must be a whole number of milliseconds up to \\d+$`))],
    });
  });

  it.each(['constructor=1', 'toString=0.5', '__proto__=0', 'hasOwnProperty=abc'])(
    'refuses %p as an unknown key, not a property every object has',
    (text) => {
      expect(parseEmulatorOverrides(text)).toStrictEqual({
        overrides: {},
        problems: [expect.stringMatching(/^unknown key/)],
      });
    },
  );

  it('refuses a pair with more than one "="', () => {
    expect(parseEmulatorOverrides('failure_rate=0.1=0.9')).toStrictEqual({
      overrides: {},
      problems: ['"failure_rate=0.1=0.9" must be key=value'],
    });
  });

  it.each([
    'limit=30',
    'limit=30/',
    'limit=/1000',
    'limit=0/1000',
    'limit=30/0',
    'limit=a/b',
    'limit=30/1000/5',
    'limit=-1/1000',
    'limit=',
  ])('refuses the malformed %p', (text) => {
    expect(parseEmulatorOverrides(text)).toStrictEqual({
      overrides: {},
      problems: ['limit must be count/window_ms (e.g. 30/1000) or 0'],
    });
  });

  it('reports every problem, and still reads the good keys', () => {
    const { overrides, problems } = parseEmulatorOverrides('bogus=1,failure_rate=2,latency_ms=100,limit=x');
    expect(overrides).toStrictEqual({ latencyMs: 100 });
    expect(problems).toHaveLength(3);
    expect(problems[0]).toMatch(/bogus/);
    expect(problems[1]).toMatch(/failure_rate/);
    expect(problems[2]).toMatch(/limit/);
  });
});

describe('emulatorProfile', () => {
  const defaults: EmulatorDefaults = {
    failureRate: 0.02,
    rateLimitedRate: 0.002,
    permanentRate: 0.001,
    lostAnswerRate: 0,
    latencyMs: 50,
  };

  it.each([
    ['telegram', { count: 30, windowMs: 1000 }, 1000],
    ['whatsapp', { count: 80, windowMs: 1000 }, 6000],
    ['viber', { count: 500, windowMs: 10_000 }, 0],
  ] as const)('%s starts from its documented limits and the defaults', (provider, limit, recipientIntervalMs) => {
    expect(emulatorProfile(provider, defaults)).toStrictEqual({ ...defaults, limit, recipientIntervalMs });
    expect(emulatorProfile(provider, defaults, '')).toStrictEqual({ ...defaults, limit, recipientIntervalMs });
  });

  it.each(['telegram', 'whatsapp', 'viber'] as const)('%s lets its overrides win over both', (provider) => {
    expect(
      emulatorProfile(provider, defaults, 'failure_rate=0.5,latency_ms=0,limit=0,recipient_interval_ms=250'),
    ).toStrictEqual({
      failureRate: 0.5,
      rateLimitedRate: 0.002,
      permanentRate: 0.001,
      lostAnswerRate: 0,
      latencyMs: 0,
      limit: null,
      recipientIntervalMs: 250,
    });
    expect(emulatorProfile(provider, defaults, 'limit=2/60000,rate_limited_rate=0,permanent_rate=1')).toMatchObject({
      failureRate: 0.02,
      rateLimitedRate: 0,
      permanentRate: 1,
      limit: { count: 2, windowMs: 60_000 },
    });
  });
});

describe('the emulator settings in AppConfig', () => {
  it('refuses a bad EMULATOR_TELEGRAM, naming it and what is wrong', () => {
    expect(() => loadConfig({ EMULATOR_TELEGRAM: 'bogus=1' })).toThrow(InvalidConfigError);
    expect(() => loadConfig({ EMULATOR_TELEGRAM: 'bogus=1' })).toThrow(
      /EMULATOR_TELEGRAM="bogus=1".*unknown key "bogus"/,
    );
  });

  it.each(['EMULATOR_WHATSAPP', 'EMULATOR_VIBER'])('refuses a bad %s too', (name) => {
    expect(() => loadConfig({ [name]: 'failure_rate=2' })).toThrow(
      new RegExp(`${name}=.*failure_rate must be a number from 0 to 1`),
    );
  });

  it('builds the viber profile from EMULATOR_VIBER and the global EMULATOR_* settings', () => {
    const config = loadConfig({
      EMULATOR_FAILURE_RATE: '0.25',
      EMULATOR_RATE_LIMITED_RATE: '0.125',
      EMULATOR_LATENCY_MS: '20',
      EMULATOR_VIBER: 'permanent_rate=0.5,limit=10/2000',
    });
    expect(emulatorProfileFor(config, 'viber')).toStrictEqual({
      failureRate: 0.25,
      rateLimitedRate: 0.125,
      permanentRate: 0.5,
      lostAnswerRate: 0,
      latencyMs: 20,
      limit: { count: 10, windowMs: 2000 },
      recipientIntervalMs: 0,
    });
    // Another messenger's override stays its own.
    expect(emulatorProfileFor(config, 'telegram')).toStrictEqual({
      failureRate: 0.25,
      rateLimitedRate: 0.125,
      permanentRate: 0.001,
      lostAnswerRate: 0,
      latencyMs: 20,
      limit: { count: 30, windowMs: 1000 },
      recipientIntervalMs: 1000,
    });
  });

  it('has documented defaults when nothing is set', () => {
    expect(emulatorProfileFor(loadConfig({}), 'whatsapp')).toStrictEqual({
      failureRate: 0.02,
      rateLimitedRate: 0.002,
      permanentRate: 0.001,
      lostAnswerRate: 0,
      latencyMs: 50,
      limit: { count: 80, windowMs: 1000 },
      recipientIntervalMs: 6000,
    });
  });
});
