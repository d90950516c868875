import { Pacer } from './pacer';

/** A pacer on a clock the test moves. */
function pacerAt(rule: { perSecond: number; perRecipientIntervalMs: number }) {
  const clock = { now: 1_000_000 };
  return { clock, pacer: new Pacer(rule, () => clock.now) };
}

describe('Pacer', () => {
  it('spaces sends evenly at the messenger rate', () => {
    const { pacer } = pacerAt({ perSecond: 20, perRecipientIntervalMs: 0 });
    const waits = Array.from({ length: 5 }, (_, i) => pacer.book(`chat-${i}`));
    expect(waits).toEqual([{ waitMs: 0 }, { waitMs: 50 }, { waitMs: 100 }, { waitMs: 150 }, { waitMs: 200 }]);
  });

  it('never lets a one-second window hold more sends than the rate', () => {
    const { pacer } = pacerAt({ perSecond: 30, perRecipientIntervalMs: 0 });
    const sendTimes = Array.from(
      { length: 300 },
      (_, i) => 1_000_000 + (pacer.book(`r${i}`) as { waitMs: number }).waitMs,
    );
    const busiestWindow = Math.max(...sendTimes.map((t) => sendTimes.filter((u) => u >= t && u < t + 1000).length));
    expect(busiestWindow).toBeLessThanOrEqual(30);
  });

  it('does not pace a messenger without a rate', () => {
    const { pacer } = pacerAt({ perSecond: 0, perRecipientIntervalMs: 0 });
    expect([pacer.book('a'), pacer.book('b'), pacer.book('a')]).toEqual([{ waitMs: 0 }, { waitMs: 0 }, { waitMs: 0 }]);
    expect(pacer.slotsWithin(1000, 500)).toBe(500);
  });

  it('defers a message whose recipient is still within its interval, without holding up other recipients', () => {
    const { clock, pacer } = pacerAt({ perSecond: 0, perRecipientIntervalMs: 1000 });
    expect(pacer.book('chat')).toEqual({ waitMs: 0 });
    clock.now += 400;
    expect(pacer.book('chat')).toEqual({ deferMs: 600 });
    expect(pacer.book('other-chat')).toEqual({ waitMs: 0 });
  });

  it('counts a recipient interval from the slot the send was booked for', () => {
    const { pacer } = pacerAt({ perSecond: 10, perRecipientIntervalMs: 1000 });
    pacer.book('a');
    expect(pacer.book('b')).toEqual({ waitMs: 100 });
    // b goes at +100 ms, so it is free again at +1100 ms.
    expect(pacer.book('b')).toEqual({ deferMs: 1100 });
  });

  it('frees a recipient once its interval has passed', () => {
    const { clock, pacer } = pacerAt({ perSecond: 0, perRecipientIntervalMs: 6000 });
    pacer.book('+4915112345678');
    clock.now += 6000;
    expect(pacer.book('+4915112345678')).toEqual({ waitMs: 0 });
  });

  it('hands out whole milliseconds, however fractional its slots', () => {
    const { pacer } = pacerAt({ perSecond: 30, perRecipientIntervalMs: 1000 });
    const bookings = Array.from({ length: 50 }, (_, i) => pacer.book(`r${i % 7}`));
    const values = bookings.map((b) => ('waitMs' in b ? b.waitMs : b.deferMs));
    expect(values.some((v) => v > 0)).toBe(true);
    expect(values.every(Number.isInteger)).toBe(true);
  });

  it('sizes a claim to what the rate allows within the horizon', () => {
    const { clock, pacer } = pacerAt({ perSecond: 30, perRecipientIntervalMs: 0 });
    expect(pacer.slotsWithin(2000, 100)).toBe(60);
    for (let i = 0; i < 60; i++) pacer.book(`r${i}`);
    // Two seconds of slots are booked: none is free until time passes.
    expect(pacer.slotsWithin(2000, 100)).toBe(0);
    clock.now += 2000;
    expect(pacer.slotsWithin(2000, 100)).toBe(60);
    expect(pacer.slotsWithin(2000, 10)).toBe(10);
  });

  it('resumes where another pacer of the messenger left off: its slots and its busy recipients', () => {
    const first = pacerAt({ perSecond: 10, perRecipientIntervalMs: 1000 });
    first.pacer.book('a');
    first.pacer.book('b');
    const next = new Pacer({ perSecond: 10, perRecipientIntervalMs: 1000 }, () => first.clock.now, {
      nextSlot: first.pacer.nextSlot,
      recipientFreeAt: [['b', first.pacer.freeAt('b')]],
    });
    expect(next.book('c')).toEqual({ waitMs: 200 });
    expect(next.book('b')).toEqual({ deferMs: 1100 });
    expect(next.freeAt('c')).toBe(1_000_000 + 1200);
    expect(next.freeAt('a')).toBe(0); // not handed over: free as far as this pacer knows
  });

  it('tells how many slots are free within a horizon, and how long until enough are', () => {
    const { clock, pacer } = pacerAt({ perSecond: 30, perRecipientIntervalMs: 0 });
    for (let i = 0; i < 60; i++) pacer.book(`r${i}`);
    expect(pacer.slotsWithin(2000, 100)).toBe(0);
    expect(pacer.msUntilRoomFor(2000, 30)).toBe(1000);
    clock.now += 1000;
    expect(pacer.slotsWithin(2000, 100)).toBe(30);
    expect(pacer.msUntilRoomFor(2000, 30)).toBe(0);
  });
});
