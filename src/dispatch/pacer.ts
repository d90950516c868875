/** How fast one messenger may be sent to. 0 turns a limit off. */
export interface PacingRule {
  /** Sends per second to the messenger as a whole. */
  readonly perSecond: number;
  /** Least time between two sends to the same recipient. */
  readonly perRecipientIntervalMs: number;
}

export type Booking = { readonly waitMs: number } | { readonly deferMs: number };

/**
 * Spaces one messenger's sends evenly at its rate (a virtual clock of send slots: no bursts, so even a
 * sliding one-second window on the messenger's side never sees more than the rate), and each
 * recipient's sends at the recipient's interval. Keeping under the limits up front is cheaper than
 * answering 429s: a rate-limited attempt still costs a round trip and a wait.
 */
export class Pacer {
  private nextSlot = 0;
  private readonly recipientFreeAt = new Map<string, number>();
  private readonly slotMs: number;

  constructor(
    private readonly rule: PacingRule,
    private readonly now: () => number = Date.now,
  ) {
    this.slotMs = rule.perSecond > 0 ? 1000 / rule.perSecond : 0;
  }

  /** How many sends fit in the next `horizonMs`, at most `max`: the size of the next claim. */
  budget(horizonMs: number, max: number): number {
    if (this.slotMs === 0) return max;
    const now = this.now();
    const room = now + horizonMs - Math.max(now, this.nextSlot);
    // The epsilon keeps 1000/30-ms slots from losing one to floating-point rounding.
    return Math.max(1, Math.min(max, Math.floor(room / this.slotMs + 1e-9)));
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
    const slot = Math.max(now, this.nextSlot);
    this.nextSlot = slot + this.slotMs;
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
