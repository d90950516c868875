import type { TestRecipient, Verdict } from './emulated-messenger';
import { EmulatedMessenger } from './emulated-messenger';
import type { EmulatorProfile } from './emulator-profile';

type Reason = 'unknown' | 'blocked' | 'gone';
const REASONS: readonly Reason[] = ['unknown', 'blocked', 'gone'];

/** Instant, never failing, no limits: each test turns on what it is about. */
const profile = (overrides: Partial<EmulatorProfile> = {}): EmulatorProfile => ({
  failureRate: 0,
  rateLimitedRate: 0,
  permanentRate: 0,
  lostAnswerRate: 0,
  latencyMs: 0,
  limit: null,
  recipientIntervalMs: 0,
  ...overrides,
});

/** A clock the test moves by hand. */
const fakeClock = () => ({ now: 0 });

function messenger(
  overrides: Partial<EmulatorProfile> = {},
  { seed = 1, testRecipients = [] as readonly TestRecipient<Reason>[], clock = fakeClock() } = {},
) {
  return new EmulatedMessenger<Reason>(profile(overrides), seed, testRecipients, REASONS, () => clock.now);
}

/** Settles on the next turn of the event loop: 'pending' if `promise` hasn't settled by then. */
const settledOrPending = <T>(promise: Promise<T>) =>
  Promise.race([promise, new Promise<'pending'>((resolve) => setImmediate(() => resolve('pending')))]);

async function draw(emulated: EmulatedMessenger<Reason>, count: number): Promise<Verdict<Reason>[]> {
  const verdicts: Verdict<Reason>[] = [];
  for (let n = 0; n < count; n++) verdicts.push(await emulated.decide(`recipient-${n}`, `message-${n}`));
  return verdicts;
}

const share = (verdicts: Verdict<Reason>[], kind: Verdict<Reason>['kind']) =>
  verdicts.filter((verdict) => verdict.kind === kind).length / verdicts.length;

const ACCEPT = { kind: 'accept' };

describe('EmulatedMessenger', () => {
  describe('the overall limit (3 per 1000 ms)', () => {
    const limit = { count: 3, windowMs: 1000 };

    it('throttles the 4th accepted request within the window, until the oldest leaves it', async () => {
      const clock = fakeClock();
      const emulated = messenger({ limit }, { clock });
      for (const at of [0, 100, 200]) {
        clock.now = at;
        await expect(emulated.decide(`r${at}`, `m${at}`)).resolves.toStrictEqual(ACCEPT);
      }

      clock.now = 300;
      await expect(emulated.decide('r300', 'm300')).resolves.toStrictEqual({
        kind: 'throttled',
        scope: 'messenger',
        retryAfterMs: 700,
      });
      clock.now = 999;
      await expect(emulated.decide('r999', 'm999')).resolves.toStrictEqual({
        kind: 'throttled',
        scope: 'messenger',
        retryAfterMs: 1,
      });

      clock.now = 1000; // the request sent at 0 has left the window
      await expect(emulated.decide('r1000', 'm1000')).resolves.toStrictEqual(ACCEPT);
      clock.now = 1050; // window: 100, 200, 1000
      await expect(emulated.decide('r1050', 'm1050')).resolves.toStrictEqual({
        kind: 'throttled',
        scope: 'messenger',
        retryAfterMs: 50,
      });
    });

    it('does not count throttled requests toward the window', async () => {
      const clock = fakeClock();
      const emulated = messenger({ limit }, { clock });
      for (let n = 0; n < 3; n++) await emulated.decide(`r${n}`, `m${n}`);
      for (const at of [100, 400, 800, 999]) {
        clock.now = at;
        expect((await emulated.decide(`late${at}`, `late${at}`)).kind).toBe('throttled');
      }

      // Had the throttled ones counted, the window would still be full.
      clock.now = 1000;
      for (let n = 0; n < 3; n++)
        await expect(emulated.decide(`again${n}`, `again${n}`)).resolves.toStrictEqual(ACCEPT);
      await expect(emulated.decide('fourth', 'fourth')).resolves.toStrictEqual({
        kind: 'throttled',
        scope: 'messenger',
        retryAfterMs: 1000,
      });
    });

    it('with no limit, accepts any number at the same instant', async () => {
      const verdicts = await draw(messenger({ limit: null }), 500);
      expect(verdicts.every((verdict) => verdict.kind === 'accept')).toBe(true);
    });
  });

  describe('the per-recipient interval (1000 ms)', () => {
    it('throttles a second request to the same recipient for the rest of the interval, and only that recipient', async () => {
      const clock = fakeClock();
      const emulated = messenger({ recipientIntervalMs: 1000 }, { clock });
      await expect(emulated.decide('alice', 'first')).resolves.toStrictEqual(ACCEPT);

      clock.now = 400;
      await expect(emulated.decide('alice', 'second')).resolves.toStrictEqual({
        kind: 'throttled',
        scope: 'recipient',
        retryAfterMs: 600,
      });
      await expect(emulated.decide('bob', 'first')).resolves.toStrictEqual(ACCEPT);

      clock.now = 999; // the throttled request at 400 did not restart alice's interval
      await expect(emulated.decide('alice', 'second')).resolves.toStrictEqual({
        kind: 'throttled',
        scope: 'recipient',
        retryAfterMs: 1,
      });
      clock.now = 1000;
      await expect(emulated.decide('alice', 'second')).resolves.toStrictEqual(ACCEPT);
      await expect(emulated.decide('alice', 'third')).resolves.toStrictEqual({
        kind: 'throttled',
        scope: 'recipient',
        retryAfterMs: 1000,
      });
      clock.now = 1400; // bob's interval, started at 400, is over
      await expect(emulated.decide('bob', 'second')).resolves.toStrictEqual(ACCEPT);
    });

    it('with an interval of 0, accepts back-to-back requests to one recipient', async () => {
      const emulated = messenger({ recipientIntervalMs: 0 });
      for (let n = 0; n < 10; n++) await expect(emulated.decide('alice', `m${n}`)).resolves.toStrictEqual(ACCEPT);
    });
  });

  describe('test recipients', () => {
    const TEST_RECIPIENTS: readonly TestRecipient<Reason>[] = [
      { recipient: 'always-ok', verdict: { kind: 'accept' }, answer: 'ok', outcome: 'sent' },
      { recipient: 'blocked', verdict: { kind: 'permanent', reason: 'blocked' }, answer: 'blocked', outcome: 'failed' },
      {
        recipient: 'busy-twice',
        verdict: { kind: 'throttled', scope: 'recipient', retryAfterMs: 1234 },
        times: 2,
        answer: 'slow down, twice',
        outcome: 'sent on the 3rd attempt',
      },
      {
        recipient: 'flaky-then-gone',
        verdict: { kind: 'transient' },
        times: 1,
        then: { kind: 'permanent', reason: 'gone' },
        answer: 'error once, then gone',
        outcome: 'failed on the 2nd attempt',
      },
      { recipient: 'silent', verdict: { kind: 'timeout' }, answer: 'no answer', outcome: 'times out' },
    ];
    const scripted = (overrides: Partial<EmulatorProfile> = {}) =>
      messenger(overrides, { testRecipients: TEST_RECIPIENTS });

    it('answers the first `times` requests of one message with the verdict, then accepts', async () => {
      const emulated = scripted();
      const busy = { kind: 'throttled', scope: 'recipient', retryAfterMs: 1234 };
      await expect(emulated.decide('busy-twice', 'm1')).resolves.toStrictEqual(busy);
      await expect(emulated.decide('busy-twice', 'm1')).resolves.toStrictEqual(busy);
      await expect(emulated.decide('busy-twice', 'm1')).resolves.toStrictEqual(ACCEPT);
      await expect(emulated.decide('busy-twice', 'm1')).resolves.toStrictEqual(ACCEPT);
    });

    it('answers with `then` once `times` is used up', async () => {
      const emulated = scripted();
      await expect(emulated.decide('flaky-then-gone', 'm1')).resolves.toStrictEqual({ kind: 'transient' });
      await expect(emulated.decide('flaky-then-gone', 'm1')).resolves.toStrictEqual({
        kind: 'permanent',
        reason: 'gone',
      });
      await expect(emulated.decide('flaky-then-gone', 'm1')).resolves.toStrictEqual({
        kind: 'permanent',
        reason: 'gone',
      });
    });

    it('without `times`, answers every request with the verdict', async () => {
      const emulated = scripted();
      for (let n = 0; n < 5; n++) {
        await expect(emulated.decide('blocked', 'm1')).resolves.toStrictEqual({ kind: 'permanent', reason: 'blocked' });
      }
    });

    it('counts each message apart', async () => {
      const emulated = scripted();
      const busy = { kind: 'throttled', scope: 'recipient', retryAfterMs: 1234 };
      await expect(emulated.decide('busy-twice', 'm1')).resolves.toStrictEqual(busy);
      await expect(emulated.decide('busy-twice', 'm2')).resolves.toStrictEqual(busy);
      await expect(emulated.decide('busy-twice', 'm1')).resolves.toStrictEqual(busy);
      await expect(emulated.decide('busy-twice', 'm1')).resolves.toStrictEqual(ACCEPT);
      await expect(emulated.decide('busy-twice', 'm2')).resolves.toStrictEqual(busy);
      await expect(emulated.decide('busy-twice', 'm2')).resolves.toStrictEqual(ACCEPT);
      await expect(emulated.decide('busy-twice', 'm3')).resolves.toStrictEqual(busy);
    });

    it('are never failed at random, even with every rate at 1', async () => {
      const emulated = scripted({ failureRate: 1, rateLimitedRate: 1, permanentRate: 1 });
      for (let n = 0; n < 100; n++) await expect(emulated.decide('always-ok', `m${n}`)).resolves.toStrictEqual(ACCEPT);
      for (let n = 0; n < 3; n++) await emulated.decide('busy-twice', 'm1');
      await expect(emulated.decide('busy-twice', 'm1')).resolves.toStrictEqual(ACCEPT);
      // The same emulator does fail everyone else.
      await expect(emulated.decide('anyone', 'm1')).resolves.toStrictEqual({ kind: 'transient' });
    });

    it('leaves a timeout pending for good', async () => {
      const emulated = scripted();
      await expect(settledOrPending(emulated.decide('silent', 'm1'))).resolves.toBe('pending');
      await expect(settledOrPending(emulated.decide('silent', 'm1'))).resolves.toBe('pending');
      // Control: a request that is answered settles within the same turn.
      await expect(settledOrPending(emulated.decide('always-ok', 'm1'))).resolves.toStrictEqual(ACCEPT);
    });
  });

  describe('the random mix', () => {
    it('fails every request transiently with failureRate 1, whatever the other rates', async () => {
      const verdicts = await draw(messenger({ failureRate: 1, rateLimitedRate: 1, permanentRate: 1 }), 200);
      expect(verdicts).toStrictEqual(Array(200).fill({ kind: 'transient' }));
    });

    it('throttles every request with rateLimitedRate 1 (others 0)', async () => {
      const verdicts = await draw(messenger({ rateLimitedRate: 1, permanentRate: 1 }), 200);
      expect(verdicts).toStrictEqual(Array(200).fill({ kind: 'throttled', scope: 'messenger', retryAfterMs: 1000 }));
    });

    it('refuses every request for good with permanentRate 1, spread over the given reasons', async () => {
      const verdicts = await draw(messenger({ permanentRate: 1 }), 300);
      const reasons = verdicts.map((verdict) =>
        verdict.kind === 'permanent' ? verdict.reason : `not permanent: ${verdict.kind}`,
      );
      expect(new Set(reasons)).toStrictEqual(new Set(REASONS));
      for (const reason of REASONS) expect(reasons.filter((r) => r === reason).length).toBeGreaterThan(50);
    });

    it('accepts everything with every rate at 0', async () => {
      const verdicts = await draw(messenger(), 500);
      expect(share(verdicts, 'accept')).toBe(1);
    });

    it.each([
      ['failureRate', 'transient'],
      ['rateLimitedRate', 'throttled'],
      ['permanentRate', 'permanent'],
    ] as const)('a %s of 0.3 gives %s to 0.3 ± 0.05 of 2000 requests', async (rate, kind) => {
      const verdicts = await draw(messenger({ [rate]: 0.3 }, { seed: 12345 }), 2000);
      expect(share(verdicts, kind)).toBeGreaterThan(0.25);
      expect(share(verdicts, kind)).toBeLessThan(0.35);
      expect(share(verdicts, 'accept') + share(verdicts, kind)).toBe(1);
    });

    it('draws the shares side by side: 0.2 transient, 0.3 throttled, 0.1 permanent', async () => {
      const verdicts = await draw(
        messenger({ failureRate: 0.2, rateLimitedRate: 0.3, permanentRate: 0.1 }, { seed: 99 }),
        2000,
      );
      for (const [kind, expected] of [
        ['transient', 0.2],
        ['throttled', 0.3],
        ['permanent', 0.1],
        ['accept', 0.4],
      ] as const) {
        expect(share(verdicts, kind)).toBeGreaterThan(expected - 0.05);
        expect(share(verdicts, kind)).toBeLessThan(expected + 0.05);
      }
    });

    it('replays the same sequence from the same seed, and another from another seed', async () => {
      const mix = { failureRate: 0.3, rateLimitedRate: 0.1, permanentRate: 0.2 };
      const first = await draw(messenger(mix, { seed: 7 }), 300);
      const second = await draw(messenger(mix, { seed: 7 }), 300);
      const other = await draw(messenger(mix, { seed: 8 }), 300);
      expect(second).toStrictEqual(first);
      expect(other).not.toStrictEqual(first);
      // Every kind really occurred in what was compared.
      for (const kind of ['accept', 'transient', 'throttled', 'permanent'] as const)
        expect(share(first, kind)).toBeGreaterThan(0);
    });
  });

  // Jest's fake timers do not reach 'node:timers/promises', so these run on real timers with small,
  // bounded latencies and generous upper bounds.
  describe('latency', () => {
    it('answers within one turn of the event loop with latency 0', async () => {
      const emulated = messenger({ latencyMs: 0 });
      const answered: Verdict<Reason>[] = [];
      for (let n = 0; n < 5; n++) void emulated.decide(`r${n}`, `m${n}`).then((verdict) => answered.push(verdict));
      expect(answered).toHaveLength(0); // not synchronously: decide is async

      await new Promise<void>((resolve) => setImmediate(resolve));
      expect(answered).toHaveLength(5);
    });

    it('with a median of 30 ms, takes from about a quarter of it to its 10× cap', async () => {
      // Seed 42 draws latencies of 15.8, 42.1, 22.6, 30, 22.4 and 23.9 ms for these six requests.
      const emulated = messenger({ latencyMs: 30 }, { seed: 42 });
      await new Promise<void>((resolve) => setImmediate(resolve)); // a fresh event-loop clock for the timers
      const timings = await Promise.all(
        Array.from({ length: 6 }, async (_, n) => {
          const started = performance.now();
          const verdict = await emulated.decide(`r${n}`, `m${n}`);
          return { verdict, elapsedMs: performance.now() - started };
        }),
      );
      for (const { verdict, elapsedMs } of timings) {
        expect(verdict).toStrictEqual(ACCEPT);
        expect(elapsedMs).toBeGreaterThanOrEqual(7);
        expect(elapsedMs).toBeLessThan(300);
      }
    });

    it('a timeout stays pending after its latency too', async () => {
      const silent: TestRecipient<Reason> = {
        recipient: 'silent',
        verdict: { kind: 'timeout' },
        answer: '',
        outcome: '',
      };
      const emulated = messenger({ latencyMs: 5 }, { testRecipients: [silent], seed: 2 });
      const decided = emulated.decide('silent', 'm1');
      const control = emulated.decide('someone', 'm1');
      await expect(control).resolves.toStrictEqual(ACCEPT); // a request sent alongside was answered
      await expect(settledOrPending(decided)).resolves.toBe('pending');
    });
  });
});
