import { Injectable } from '@nestjs/common';
import { AppConfig } from '../config/app-config';
import { DatabaseClock } from '../database/database-clock';
import { SenderDirectory } from '../providers/senders/sender-directory';
import { type ClaimedMessage, DispatchRepository } from './dispatch.repository';
import type { Lane } from './lane';
import { Pacer, type PacingRule } from './pacer';
import { PacingRepository } from './pacing.repository';
import { pacingRuleFor } from './pacing-rule';

/** When a claimed message may go (ms, this process's clock), or how long to put it aside for its recipient. */
export type Slot = { readonly sendAt: number } | { readonly deferMs: number };

/** A claim's rows with their slots (`slots[i]` is `batch[i]`'s), or how long until the lane has room. */
/**
 * A claim books its first slot no sooner than this: the time it takes to commit the claim and hand the rows
 * to their senders, so that the first of them are not late for their slots from the start.
 */
const CLAIM_LEAD_MS = 25;

export type PacedClaim =
  { readonly batch: ClaimedMessage[]; readonly slots: readonly Slot[] } | { readonly waitMs: number };

/**
 * Paces each lane (messenger account) for all the workers together: the lane's send slots and its
 * recipients' intervals are kept in PostgreSQL, and a claim books them in the transaction that claims
 * the rows, holding the lane's row lock, so no two workers book the same slot. A claim takes only as
 * many rows as the lane has free slots within the horizon; a worker that finds them all booked by
 * others waits for room instead. Each claimed row gets its slot, and the worker sends it then.
 */
@Injectable()
export class SharedPacer {
  constructor(
    private readonly pacing: PacingRepository,
    private readonly dispatch: DispatchRepository,
    private readonly clock: DatabaseClock,
    private readonly config: AppConfig,
    private readonly senders: SenderDirectory,
  ) {}

  /**
   * How fast a lane may be sent to: the messenger's rule (DISPATCH_PACING, DISPATCH_RATE_*, its documented
   * limits), with a sender account's own `rate_per_second` in place of the rate. The per-recipient interval
   * is the messenger's, whichever account sends.
   */
  rateFor(lane: Lane): PacingRule {
    const rule = pacingRuleFor(this.config, lane.provider);
    if (lane.sender === null || this.config.DISPATCH_PACING === 'off') return rule;
    const own = this.senders.named(lane.sender)?.ratePerSecond;
    return own === undefined ? rule : { ...rule, perSecond: own };
  }

  /** Whether the lane has any limit to keep (DISPATCH_PACING=off: none, and no pacing SQL at all). */
  paces(lane: Lane): boolean {
    const rule = this.rateFor(lane);
    return rule.perSecond > 0 || rule.perRecipientIntervalMs > 0;
  }

  /**
   * Claims up to `max` of the lane's due rows, as many as its free slots within `horizonMs` allow, and
   * books their slots. A row whose recipient is still inside its interval gets no slot: it is to be put
   * aside (its claim undone) until then.
   */
  async claim(lane: Lane, max: number, horizonMs: number, leaseSeconds: number, inOrder: boolean): Promise<PacedClaim> {
    const rule = this.rateFor(lane);
    await this.clock.sync();
    return this.pacing.withLane(lane, async (held) => {
      const earliest = this.clock.now() + CLAIM_LEAD_MS;
      const room = new Pacer(rule, () => earliest, { nextSlot: held.nextSlot });
      // Take at least half a horizon's slots at a time: a worker that finds the lane booked by others waits
      // for that much room rather than claiming a row or two at every free slot.
      const worthClaiming = Math.max(1, Math.min(max, Math.floor((rule.perSecond * horizonMs) / 2000)));
      const fit = room.slotsWithin(horizonMs, max);
      if (fit < worthClaiming) return { waitMs: room.msUntilRoomFor(horizonMs, worthClaiming) };
      const batch = await this.dispatch.claimDue(lane.provider, fit, leaseSeconds, inOrder, held.manager, {
        kind: 'lane',
        sender: lane.sender,
      });
      if (batch.length === 0) return { batch, slots: [] };

      const intervals = rule.perRecipientIntervalMs > 0;
      const busy = intervals
        ? await held.busyRecipients([...new Set(batch.map((c) => c.message.recipient))], earliest)
        : new Map<string, number>();
      const booking = new Pacer(rule, () => earliest, { nextSlot: held.nextSlot, recipientFreeAt: busy });
      const booked = new Map<string, number>();
      const slots = batch.map(({ message: { recipient } }): Slot => {
        const slot = booking.book(recipient);
        if ('deferMs' in slot) return slot;
        if (intervals) booked.set(recipient, booking.freeAt(recipient));
        return { sendAt: this.clock.toLocal(earliest + slot.waitMs) };
      });
      await held.save(booking.nextSlot, booked, earliest);
      return { batch, slots };
    });
  }
}
