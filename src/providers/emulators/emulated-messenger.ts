import { setTimeout as sleep } from 'node:timers/promises';
import type { EmulatorInbox } from './emulator-inbox';
import type { EmulatorProfile } from './emulator-profile';
import { seededRandom } from './random';
import type { TestRecipient, Verdict } from './test-recipient';

export type { TestRecipient, Verdict } from './test-recipient';

/** How a delivery through the messenger went: accepted under an id (perhaps an earlier one), or a verdict against it. */
export type DeliveryOutcome<Reason extends string> =
  | { readonly kind: 'accepted'; readonly providerMessageId: string; readonly replay: boolean }
  | Exclude<Verdict<Reason>, { kind: 'accept' }>;

const ACCEPT: Verdict<never> = { kind: 'accept' };
const NEVER = () => new Promise<never>(() => undefined);
const SCRIPTED_MEMORY = 10_000;

/**
 * The behaviour every emulated messenger shares: latency with a long tail, the limits it enforces
 * (overall and per recipient), its test recipients, and a seeded random mix of failures.
 */
export class EmulatedMessenger<Reason extends string> {
  private readonly random: () => number;
  /** Send times of the accepted requests still inside the overall window, oldest first. */
  private readonly window: number[] = [];
  private readonly recipientLastSent = new Map<string, number>();
  private readonly scriptedCalls = new Map<string, number>();
  private readonly testRecipients: ReadonlyMap<string, TestRecipient<Reason>>;

  constructor(
    private readonly profile: EmulatorProfile,
    seed: number,
    testRecipients: readonly TestRecipient<Reason>[],
    /** The permanent failures a random draw picks from. */
    private readonly randomPermanentReasons: readonly Reason[],
    private readonly now: () => number = Date.now,
  ) {
    this.random = seededRandom(seed);
    this.testRecipients = new Map(testRecipients.map((t) => [t.recipient, t]));
  }

  /**
   * One send, as a messenger that honours idempotency keys handles it: a key it has already accepted is
   * answered with the original id and delivers nothing new; otherwise it decides, records what it
   * accepted in its inbox, and now and then loses the answer (the ambiguous case: delivered, but the
   * caller never hears so). Without an inbox (unit tests) there is no memory of keys.
   */
  async deliver(
    provider: string,
    send: { readonly recipient: string; readonly body: string; readonly idempotencyKey?: string },
    newMessageId: () => string,
    inbox?: EmulatorInbox,
  ): Promise<DeliveryOutcome<Reason>> {
    const key = send.idempotencyKey;
    const original = inbox && key ? await inbox.findOriginal(provider, key) : null;
    if (original) {
      const latencyMs = this.latencyMs();
      if (latencyMs > 0) await sleep(latencyMs);
      return { kind: 'accepted', providerMessageId: original, replay: true };
    }
    const verdict = await this.decide(send.recipient, key ?? `${send.recipient}\n${send.body}`);
    if (verdict.kind !== 'accept') return verdict;
    const providerMessageId = newMessageId();
    if (inbox && key)
      await inbox.record({
        provider,
        idempotencyKey: key,
        recipient: send.recipient,
        body: send.body,
        providerMessageId,
      });
    if (this.profile.lostAnswerRate > 0 && this.random() < this.profile.lostAnswerRate) await NEVER();
    return { kind: 'accepted', providerMessageId, replay: false };
  }

  /** Waits the request's latency, then decides. `messageKey` tells one message's repeats apart from another's. */
  async decide(recipient: string, messageKey: string): Promise<Verdict<Reason>> {
    const latencyMs = this.latencyMs();
    const roll = this.random();
    if (latencyMs > 0) await sleep(latencyMs);
    const verdict = this.throttle(recipient) ?? this.scripted(recipient, messageKey) ?? this.drawn(roll);
    if (verdict.kind === 'accept') this.recordSend(recipient);
    if (verdict.kind === 'timeout') await NEVER();
    return verdict;
  }

  /** Log-normal around the median (σ = 0.5: p99 ≈ 3.2 × median), capped at 10 × so a test can bound it. */
  private latencyMs(): number {
    const { latencyMs } = this.profile;
    if (latencyMs === 0) return 0;
    const gaussian = Math.sqrt(-2 * Math.log(1 - this.random())) * Math.cos(2 * Math.PI * this.random());
    return Math.min(latencyMs * 10, latencyMs * Math.exp(0.5 * gaussian));
  }

  private throttle(recipient: string): Verdict<Reason> | null {
    const now = this.now();
    const { limit, recipientIntervalMs } = this.profile;
    if (limit) {
      while (this.window.length > 0 && this.window[0] <= now - limit.windowMs) this.window.shift();
      if (this.window.length >= limit.count) {
        return { kind: 'throttled', scope: 'messenger', retryAfterMs: this.window[0] + limit.windowMs - now };
      }
    }
    const last = this.recipientLastSent.get(recipient);
    if (recipientIntervalMs > 0 && last !== undefined && now - last < recipientIntervalMs) {
      return { kind: 'throttled', scope: 'recipient', retryAfterMs: last + recipientIntervalMs - now };
    }
    return null;
  }

  private scripted(recipient: string, messageKey: string): Verdict<Reason> | null {
    const script = this.testRecipients.get(recipient);
    if (!script) return null;
    const calls = (this.scriptedCalls.get(messageKey) ?? 0) + 1;
    if (this.scriptedCalls.size >= SCRIPTED_MEMORY) this.scriptedCalls.clear();
    this.scriptedCalls.set(messageKey, calls);
    return calls <= (script.times ?? Infinity) ? script.verdict : (script.then ?? ACCEPT);
  }

  private drawn(roll: number): Verdict<Reason> {
    const { failureRate, rateLimitedRate, permanentRate } = this.profile;
    if (roll < failureRate) return { kind: 'transient' };
    if (roll < failureRate + rateLimitedRate) return { kind: 'throttled', scope: 'messenger', retryAfterMs: 1000 };
    if (roll < failureRate + rateLimitedRate + permanentRate && this.randomPermanentReasons.length > 0) {
      const pick = Math.floor(
        ((roll - failureRate - rateLimitedRate) / permanentRate) * this.randomPermanentReasons.length,
      );
      return {
        kind: 'permanent',
        reason: this.randomPermanentReasons[Math.min(pick, this.randomPermanentReasons.length - 1)],
      };
    }
    return ACCEPT;
  }

  private recordSend(recipient: string): void {
    const now = this.now();
    if (this.profile.limit) this.window.push(now);
    if (this.profile.recipientIntervalMs > 0) {
      if (this.recipientLastSent.size >= SCRIPTED_MEMORY) {
        for (const [r, at] of this.recipientLastSent)
          if (now - at >= this.profile.recipientIntervalMs) this.recipientLastSent.delete(r);
      }
      this.recipientLastSent.set(recipient, now);
    }
  }
}
