import type { TestRecipient } from '../../src/providers/emulators/emulated-messenger';
import type { MessengerProvider, SendResult } from '../../src/providers/messenger-provider';

/** Resolves with the promise's value, or 'pending' if it has not settled after one turn of the event loop. */
export const settledOrPending = <T>(promise: Promise<T>): Promise<T | 'pending'> =>
  Promise.race([promise, new Promise<'pending'>((resolve) => setImmediate(() => resolve('pending')))]);

/**
 * The specification every messenger's test recipients share: for each documented recipient, with random
 * failures off and on, successive attempts at one message give exactly `expected` (or never answer), and
 * the table's own words agree with what was seen.
 */
export function itDrivesEachTestRecipientAsDocumented(options: {
  readonly recipients: readonly TestRecipient[];
  readonly expected: Readonly<Record<string, readonly SendResult[] | 'pending'>>;
  readonly providerWith: (failureRate: string) => MessengerProvider;
  /** How the messenger's answer is written in the table: e.g. `${code} ${description}`. */
  readonly answerShows: (result: Extract<SendResult, { code: string }>) => string;
}): void {
  const { recipients, expected: EXPECTED } = options;

  it('every documented test recipient has an expectation here, and nothing else', () => {
    expect(Object.keys(EXPECTED).sort()).toStrictEqual(recipients.map((t) => t.recipient).sort());
  });

  describe.each(['0', '1'])('with EMULATOR_FAILURE_RATE=%s', (failureRate) => {
    it.each(recipients.map((t) => [t.recipient, t] as const))('%s behaves as documented', async (recipient, entry) => {
      const expected = EXPECTED[recipient];
      expect(expected).toBeDefined();
      const provider = options.providerWith(failureRate);
      const attempt = { id: 'message-1', recipient, body: 'test message', sender: null };

      if (expected === 'pending') {
        expect(entry.outcome).toMatch(/times out/);
        await expect(settledOrPending(provider.send(attempt))).resolves.toBe('pending');
        await expect(settledOrPending(provider.send(attempt))).resolves.toBe('pending');
        return;
      }
      const results: SendResult[] = [];
      for (let n = 0; n < expected.length; n++) results.push(await provider.send(attempt));
      expect(results).toStrictEqual(expected);

      // What the table documents agrees with what was seen.
      for (const result of results) {
        if (result.outcome === 'sent') continue;
        expect(entry.answer).toContain(options.answerShows(result));
        if (result.outcome === 'failed') expect(entry.outcome).toContain(`failed at once (code ${result.code})`);
      }
      if (/3rd attempt/.test(entry.outcome)) expect(results[2].outcome).toBe('sent');
    });
  });
}

/** EMULATOR_SEED, for any messenger: `run(seed)` sends the same messages through a fresh emulator with that seed. */
export function itReplaysRunsFromTheSeed(run: (seed: string) => Promise<SendResult[]>): void {
  describe('EMULATOR_SEED', () => {
    it('replays the same outcomes and ids from the same seed', async () => {
      const first = await run('7');
      expect(await run('7')).toStrictEqual(first);
      const outcomes = first.map((r) => r.outcome);
      expect(outcomes).toContain('sent'); // both outcomes really occurred in what was compared
      expect(outcomes).toContain('retry');
    });

    it('plays another run from another seed', async () => {
      expect((await run('8')).map((r) => r.outcome)).not.toStrictEqual((await run('7')).map((r) => r.outcome));
    });
  });
}
