import { AppConfig, loadConfig } from '../../config/app-config';
import type { MessengerProvider, OutgoingMessage, SendResult } from '../messenger-provider';
import { MessengerRegistry } from '../messenger.registry';
import { PROVIDER_NAMES, ProviderName } from '../messengers';
import { MessengerEmulator } from './messenger.emulator';
import { TelegramEmulator } from './telegram.emulator';
import { ViberEmulator } from './viber.emulator';
import { WhatsAppEmulator } from './whatsapp.emulator';

const EMULATORS: Record<ProviderName, new (config: AppConfig) => MessengerEmulator> = {
  telegram: TelegramEmulator,
  whatsapp: WhatsAppEmulator,
  viber: ViberEmulator,
};

/** A seeded, instant, never-failing emulator unless `env` says otherwise. */
function emulator(name: ProviderName, env: Record<string, string> = {}): MessengerEmulator {
  return new EMULATORS[name](
    loadConfig({ EMULATOR_SEED: '42', EMULATOR_LATENCY_MS: '0', EMULATOR_FAILURE_RATE: '0', ...env }),
  );
}

const message = (n: number): OutgoingMessage => ({ id: `message-${n}`, recipient: 'someone', body: 'hello' });

/** Sends one after another, as a single worker would. */
async function sendMany(provider: MessengerProvider, count: number): Promise<SendResult[]> {
  const results: SendResult[] = [];
  for (let n = 0; n < count; n++) results.push(await provider.send(message(n)));
  return results;
}

function idsOf(results: SendResult[]): string[] {
  return results.map((result) => {
    if (result.outcome !== 'sent') throw new Error(`expected a sent result, got ${JSON.stringify(result)}`);
    return result.providerMessageId;
  });
}

const failureShare = (results: SendResult[]) =>
  results.filter((result) => result.outcome !== 'sent').length / results.length;

describe.each(PROVIDER_NAMES)('the %s emulator', (name) => {
  it('reports its messenger as its name', () => {
    expect(emulator(name).name).toBe(name);
  });

  it('gives every accepted message an id of its own', async () => {
    const ids = idsOf(await sendMany(emulator(name), 200));
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('never fails with EMULATOR_FAILURE_RATE=0', async () => {
    const results = await sendMany(emulator(name, { EMULATOR_FAILURE_RATE: '0' }), 500);
    expect(results.every((result) => result.outcome === 'sent')).toBe(true);
  });

  it('fails every send with EMULATOR_FAILURE_RATE=1, transiently and in its messenger’s words', async () => {
    const results = await sendMany(emulator(name, { EMULATOR_FAILURE_RATE: '1' }), 50);
    for (const result of results) {
      expect(result).toEqual({ outcome: 'retry', error: expect.stringContaining(name) });
    }
  });

  it.each([0.1, 0.3, 0.7])('fails about %p of 2000 sends with that EMULATOR_FAILURE_RATE', async (rate) => {
    const results = await sendMany(emulator(name, { EMULATOR_FAILURE_RATE: String(rate) }), 2000);
    expect(failureShare(results)).toBeGreaterThan(rate - 0.05);
    expect(failureShare(results)).toBeLessThan(rate + 0.05);
    expect(results.some((result) => result.outcome === 'failed')).toBe(false);
  });

  it('replays the same outcomes and ids from the same EMULATOR_SEED', async () => {
    const env = { EMULATOR_SEED: '7', EMULATOR_FAILURE_RATE: '0.5' };
    const first = await sendMany(emulator(name, env), 100);
    const second = await sendMany(emulator(name, env), 100);
    expect(second).toEqual(first);
    expect(failureShare(first)).toBeGreaterThan(0); // both outcomes really occurred in what was compared
    expect(failureShare(first)).toBeLessThan(1);
  });

  it('plays a different run from a different EMULATOR_SEED', async () => {
    const first = await sendMany(emulator(name, { EMULATOR_SEED: '7', EMULATOR_FAILURE_RATE: '0.5' }), 100);
    const second = await sendMany(emulator(name, { EMULATOR_SEED: '8', EMULATOR_FAILURE_RATE: '0.5' }), 100);
    expect(second.map((result) => result.outcome)).not.toEqual(first.map((result) => result.outcome));
  });
});

describe('message ids, in each messenger’s own form', () => {
  it.each([
    ['telegram', /^\d+$/], // Bot API message_id: an integer
    ['whatsapp', /^wamid\.[A-Za-z0-9_-]+$/], // Cloud API: "wamid." and base64url
    ['viber', /^\d{10,20}$/], // message_token: a 64-bit number
  ] as const)('%s ids look like %s', async (name, idForm) => {
    for (const id of idsOf(await sendMany(emulator(name), 100))) expect(id).toMatch(idForm);
  });

  it('telegram ids increase from one message to the next, as a chat’s message_id does', async () => {
    const ids = idsOf(await sendMany(emulator('telegram'), 100)).map(Number);
    ids.slice(1).forEach((id, i) => expect(id).toBeGreaterThan(ids[i]));
  });

  it('viber tokens fit in 64 bits', async () => {
    for (const id of idsOf(await sendMany(emulator('viber'), 100))) {
      expect(BigInt(id)).toBeLessThan(2n ** 64n);
    }
  });
});

describe('the three messengers under one EMULATOR_SEED', () => {
  const env = { EMULATOR_SEED: '42', EMULATOR_FAILURE_RATE: '0.5' };

  it('each draw outcomes from a stream of their own', async () => {
    const outcomes = await Promise.all(
      PROVIDER_NAMES.map(async (name) => (await sendMany(emulator(name, env), 100)).map((result) => result.outcome)),
    );
    expect(outcomes[1]).not.toEqual(outcomes[0]);
    expect(outcomes[2]).not.toEqual(outcomes[0]);
    expect(outcomes[2]).not.toEqual(outcomes[1]);
  });

  it('report an outage each in different words', async () => {
    const errors = await Promise.all(
      PROVIDER_NAMES.map(async (name) => {
        const result = await emulator(name, { EMULATOR_FAILURE_RATE: '1' }).send(message(1));
        return result.outcome === 'retry' ? result.error : undefined;
      }),
    );
    expect(new Set(errors).size).toBe(PROVIDER_NAMES.length);
  });
});

// Jest's fake timers do not reach 'node:timers/promises' (fake-timers patches that module only when faking
// Node's own global, not a test's sandbox), so these run on real timers with small, bounded latencies.
describe('simulated latency', () => {
  /** Resolves once the event loop has gone round: every promise that needs no timer has settled by then. */
  const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

  async function timedSend(provider: MessengerProvider, n: number) {
    const started = performance.now();
    const result = await provider.send(message(n));
    return { result, elapsedMs: performance.now() - started };
  }

  it.each(PROVIDER_NAMES)('%s answers at once when EMULATOR_LATENCY_MS=0', async (name) => {
    const answered: SendResult[] = [];
    const provider = emulator(name, { EMULATOR_LATENCY_MS: '0' });
    for (let n = 0; n < 5; n++) void provider.send(message(n)).then((result) => answered.push(result));

    await nextTurn();
    expect(answered).toHaveLength(5);
  });

  it.each(PROVIDER_NAMES)('%s takes 0.5×–1.5× of EMULATOR_LATENCY_MS=30 to answer', async (name) => {
    const latency = 30;
    const provider = emulator(name, { EMULATOR_LATENCY_MS: String(latency) });
    const sends = await Promise.all(Array.from({ length: 10 }, (_, n) => timedSend(provider, n)));
    for (const { result, elapsedMs } of sends) {
      expect(result.outcome).toBe('sent');
      expect(elapsedMs).toBeGreaterThanOrEqual(0.5 * latency - 2); // timers may fire a millisecond early
      expect(elapsedMs).toBeLessThan(1.5 * latency + 150); // generous: a busy machine runs timers late
    }
  });

  it('waits before answering a failure too', async () => {
    const latency = 30;
    const provider = emulator('telegram', { EMULATOR_LATENCY_MS: String(latency), EMULATOR_FAILURE_RATE: '1' });
    const { result, elapsedMs } = await timedSend(provider, 1);
    expect(result.outcome).toBe('retry');
    expect(elapsedMs).toBeGreaterThanOrEqual(0.5 * latency - 2);
  });
});

describe('MessengerRegistry', () => {
  const providers = PROVIDER_NAMES.map((name) => emulator(name));
  const registry = new MessengerRegistry(providers);

  it.each(PROVIDER_NAMES)('get(%p) returns the provider that delivers to it', (name) => {
    const provider = registry.get(name);
    expect(provider.name).toBe(name);
    expect(providers).toContain(provider);
  });

  it('refuses a messenger no provider was registered for, naming it', () => {
    const telegramOnly = new MessengerRegistry([emulator('telegram')]);
    expect(() => telegramOnly.get('viber')).toThrow(/viber/);
    expect(() => telegramOnly.get('whatsapp')).toThrow(/whatsapp/);
  });
});
