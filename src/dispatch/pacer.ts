/** How fast one messenger may be sent to. 0 turns a limit off. */
export interface PacingRule {
  /** Sends per second to the messenger as a whole. */
  readonly perSecond: number;
  /** Least time between two sends to the same recipient. */
  readonly perRecipientIntervalMs: number;
}

export type Booking = { readonly waitMs: number } | { readonly deferMs: number };

/** Where a pacer's clock stands: what the workers of a lane share (src/dispatch/shared-pacer.ts). */
export interface PacerState {
  /** The messenger's next free send slot (ms on the pacer's clock). */
  readonly nextSlot: number;
  /** Recipients not free again yet, and when they are. */
  readonly recipientFreeAt?: Iterable<readonly [string, number]>;
}

/**
 * Spaces one messenger's sends evenly at its rate (a virtual clock of send slots: no bursts, so even a
 * sliding one-second window on the messenger's side never sees more than the rate), and each
 * recipient's sends at the recipient's interval. Keeping under the limits up front is cheaper than
 * answering 429s: a rate-limited attempt still costs a round trip and a wait. The arithmetic only: the
 * workers of a lane share its state through SharedPacer, which resumes a pacer from it for each claim.
 */
export class Pacer {
  private slotClock: number;
  private readonly recipientFreeAt: Map<string, number>;
  private readonly slotMs: number;

  /** `from`: resume where another pacer of the same messenger left off. */
  constructor(
    private readonly rule: PacingRule,
    private readonly now: () => number = Date.now,
    from: PacerState = { nextSlot: 0 },
  ) {
    this.slotMs = rule.perSecond > 0 ? 1000 / rule.perSecond : 0;
    this.slotClock = from.nextSlot;
    this.recipientFreeAt = new Map(from.recipientFreeAt ?? []);
  }

  /** The next free send slot: what a shared pacer saves for the next worker. */
  get nextSlot(): number {
    return this.slotClock;
  }

  /** When `recipient` is free again (0 when it is already). */
  freeAt(recipient: string): number {
    return this.recipientFreeAt.get(recipient) ?? 0;
  }

  /** How many free slots the next `horizonMs` holds, at most `max` (0 when they are all booked): a claim's size. */
  slotsWithin(horizonMs: number, max: number): number {
    if (this.slotMs === 0) return max;
    const now = this.now();
    const room = now + horizonMs - Math.max(now, this.slotClock);
    // The epsilon keeps 1000/30-ms slots from losing one to floating-point rounding.
    return Math.max(0, Math.min(max, Math.floor(room / this.slotMs + 1e-9)));
  }

  /** How long until the next `horizonMs` holds `slots` free slots. */
  msUntilRoomFor(horizonMs: number, slots: number): number {
    return Math.max(0, Math.ceil(this.slotClock + slots * this.slotMs - horizonMs - this.now() - 1e-6));
  }

  /**
   * Books the next send to `recipient`: how long to wait for the messenger's next slot, or, while the
   * recipient's own interval has not passed, how long to put the message aside. Deferring rather than
   * waiting keeps one busy recipient from holding a sender, and keeps the slots evenly spaced.
   */
  book(recipient: string): Booking {
    const now = this.now();
    const recipientAt = this.recipientFreeAt.get(recipient) ?? 0;
    // Slots are fractional (1000/30 ms); what we hand out is whole milliseconds, rounded up.
    if (recipientAt > now) return { deferMs: Math.ceil(recipientAt - now) };
    const slot = Math.max(now, this.slotClock);
    this.slotClock = slot + this.slotMs;
    if (this.rule.perRecipientIntervalMs > 0) {
      this.forgetPast(now);
      this.recipientFreeAt.set(recipient, slot + this.rule.perRecipientIntervalMs);
    }
    return { waitMs: Math.ceil(slot - now) };
  }

  // Bounded memory: recipients whose interval is over need no entry.
  private forgetPast(now: number): void {
    if (this.recipientFreeAt.size < 10_000) return;
    for (const [recipient, freeAt] of this.recipientFreeAt) if (freeAt <= now) this.recipientFreeAt.delete(recipient);
  }
}
