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

/**
 * Where a send comes from, for the emulator server (APP_ROLE=emulators), which serves many accounts at once.
 * In process there is one account per messenger and no context.
 */
export interface SendContext {
  /** The account whose limits the send spends (a bot token, a phone number id); the default account when absent. */
  readonly account?: string;
  /** What becomes of an answer that is lost; by default it never comes (the caller's timeout decides). */
  readonly loseAnswer?: () => Promise<never>;
}

/** What one account has spent of its limits. */
interface AccountBudget {
  /** Send times of the accepted requests still inside the overall window, oldest first. */
  readonly window: number[];
  readonly recipientLastSent: Map<string, number>;
}

const ACCEPT: Verdict<never> = { kind: 'accept' };
const NEVER = () => new Promise<never>(() => undefined);
const SCRIPTED_MEMORY = 10_000;
/** Accounts whose budgets are kept; past it the least recently used one starts afresh. */
const ACCOUNT_MEMORY = 10_000;

/**
 * The behaviour every emulated messenger shares: latency with a long tail, the limits it enforces
 * (overall and per recipient), its test recipients, and a seeded random mix of failures.
 */
export class EmulatedMessenger<Reason extends string> {
  private readonly random: () => number;
  /** Each account's budget, least recently used first; the in-process emulator has only the default one (''). */
  private readonly accounts = new Map<string, AccountBudget>();
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
   * caller never hears so). Without an inbox (unit tests) there is no memory of keys. A delivery without a key
   * (a client team's own request to the emulator server) is recorded all the same, with no key.
   */
  async deliver(
    provider: string,
    send: { readonly recipient: string; readonly body: string; readonly idempotencyKey?: string },
    newMessageId: () => string,
    inbox?: EmulatorInbox,
    context: SendContext = {},
  ): Promise<DeliveryOutcome<Reason>> {
    const key = send.idempotencyKey;
    const original = inbox && key ? await inbox.findOriginal(provider, key) : null;
    if (original) {
      const latencyMs = this.latencyMs();
      if (latencyMs > 0) await sleep(latencyMs);
      return { kind: 'accepted', providerMessageId: original, replay: true };
    }
    const verdict = await this.decide(send.recipient, key ?? `${send.recipient}\n${send.body}`, context.account);
    if (verdict.kind !== 'accept') return verdict;
    const providerMessageId = newMessageId();
    if (inbox)
      await inbox.record({
        provider,
        idempotencyKey: key ?? null,
        recipient: send.recipient,
        body: send.body,
        providerMessageId,
      });
    if (this.profile.lostAnswerRate > 0 && this.random() < this.profile.lostAnswerRate)
      await (context.loseAnswer ?? NEVER)();
    return { kind: 'accepted', providerMessageId, replay: false };
  }

  /**
   * Waits the request's latency, then decides. `messageKey` tells one message's repeats apart from another's;
   * `account` is whose limits the request spends (the default account when absent).
   */
  async decide(recipient: string, messageKey: string, account = ''): Promise<Verdict<Reason>> {
    const latencyMs = this.latencyMs();
    const roll = this.random();
    if (latencyMs > 0) await sleep(latencyMs);
    const budget = this.budget(account);
    const verdict = this.throttle(budget, recipient) ?? this.scripted(recipient, messageKey) ?? this.drawn(roll);
    if (verdict.kind === 'accept') this.recordSend(budget, recipient);
    if (verdict.kind === 'timeout') await NEVER();
    return verdict;
  }

  /** The account's budget, made the most recently used. */
  private budget(account: string): AccountBudget {
    let budget = this.accounts.get(account);
    if (budget) this.accounts.delete(account);
    else budget = { window: [], recipientLastSent: new Map() };
    this.accounts.set(account, budget);
    if (this.accounts.size > ACCOUNT_MEMORY) this.accounts.delete(this.accounts.keys().next().value!);
    return budget;
  }

  /** Log-normal around the median (σ = 0.5: p99 ≈ 3.2 × median), capped at 10 × so a test can bound it. */
  private latencyMs(): number {
    const { latencyMs } = this.profile;
    if (latencyMs === 0) return 0;
    const gaussian = Math.sqrt(-2 * Math.log(1 - this.random())) * Math.cos(2 * Math.PI * this.random());
    return Math.min(latencyMs * 10, latencyMs * Math.exp(0.5 * gaussian));
  }

  private throttle({ window, recipientLastSent }: AccountBudget, recipient: string): Verdict<Reason> | null {
    const now = this.now();
    const { limit, recipientIntervalMs } = this.profile;
    if (limit) {
      while (window.length > 0 && window[0] <= now - limit.windowMs) window.shift();
      if (window.length >= limit.count) {
        return { kind: 'throttled', scope: 'messenger', retryAfterMs: window[0] + limit.windowMs - now };
      }
    }
    const last = recipientLastSent.get(recipient);
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

  private recordSend({ window, recipientLastSent }: AccountBudget, recipient: string): void {
    const now = this.now();
    if (this.profile.limit) window.push(now);
    if (this.profile.recipientIntervalMs > 0) {
      if (recipientLastSent.size >= SCRIPTED_MEMORY) {
        for (const [r, at] of recipientLastSent)
          if (now - at >= this.profile.recipientIntervalMs) recipientLastSent.delete(r);
      }
      recipientLastSent.set(recipient, now);
    }
  }
}
