import { bodyBytes, TurnPacer, WorkBudget, WorkHold } from './admission';

const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('WorkBudget', () => {
  it('has room for work while it fits, none for what would take it past its capacity, and room again once work is given back', () => {
    const budget = new WorkBudget(4000);

    budget.take(3000);
    expect(budget.hasRoomFor(1000)).toBe(true);
    budget.take(1000);
    expect(budget.hasRoomFor(1)).toBe(false);

    budget.give(1000);
    expect(budget.hasRoomFor(1000)).toBe(true);
    expect(budget.hasRoomFor(1001)).toBe(false);
  });

  it('has room for anything when nothing is in flight, so an idle server refuses no request, however large', () => {
    const budget = new WorkBudget(1000);

    expect(budget.hasRoomFor(5000)).toBe(true);
    budget.take(5000);
    expect(budget.hasRoomFor(1)).toBe(false);
  });

  it('always has room for nothing: a request without a body or cost is never refused, even past capacity', () => {
    const budget = new WorkBudget(1000);

    budget.take(5000);
    expect(budget.hasRoomFor(0)).toBe(true);
  });
});

describe('WorkHold', () => {
  it('holds its work from the start', () => {
    const budget = new WorkBudget(4000);
    new WorkHold(budget, 1000);

    expect(budget.inFlight).toBe(1000);
  });

  it('is given back only when both the response is done and the handler has answered, in either order, once', () => {
    const budget = new WorkBudget(4000);
    const clientLeft = new WorkHold(budget, 1000);
    const answeredFirst = new WorkHold(budget, 1000);

    clientLeft.close();
    expect(budget.inFlight).toBe(2000);
    clientLeft.answer();
    expect(budget.inFlight).toBe(1000);

    answeredFirst.answer();
    answeredFirst.answer();
    expect(budget.inFlight).toBe(1000);
    answeredFirst.close();
    answeredFirst.close();
    expect(budget.inFlight).toBe(0);
  });
});

describe('bodyBytes', () => {
  const limit = 1024 * 1024;

  it.each([
    ['a JSON POST', 'POST', { 'content-length': '128008' }, 128008],
    [
      'a body over the limit (answered 413 without reading it)',
      'POST',
      { 'content-length': String(10 * limit) },
      limit,
    ],
    ['a body of unknown length (chunked)', 'POST', { 'transfer-encoding': 'chunked' }, limit],
    ['a POST without a body', 'POST', {}, 0],
    ['an empty body', 'DELETE', { 'content-length': '0' }, 0],
    ['a nonsense length', 'POST', { 'content-length': 'lots' }, 0],
    ['a GET (probes, /metrics), whose body is never read', 'GET', { 'content-length': '500' }, 0],
    ['a HEAD', 'HEAD', { 'transfer-encoding': 'chunked' }, 0],
  ])('counts %s', (_, method, headers, bytes) => {
    expect(bodyBytes(method, headers, limit)).toBe(bytes);
  });
});

describe('TurnPacer', () => {
  /** Starts the work, and runs turns of the event loop (at most `max`) until all of it has started: how many turns had passed when each did. */
  async function turnsOf(pacer: TurnPacer, work: [string, number][], max = 20): Promise<Record<string, number>> {
    const startedIn: Record<string, number> = {};
    let turn = 0;
    for (const [name, cost] of work) pacer.start(cost, () => (startedIn[name] = turn));
    while (Object.keys(startedIn).length < work.length && turn < max) {
      await nextTurn();
      turn++;
    }
    return startedIn;
  }

  it('starts at most its share of work per turn of the event loop, in order, and none in the turn after one that started some', async () => {
    const startedIn = await turnsOf(new TurnPacer(1000), [
      ['a', 1000],
      ['b', 1000],
      ['c', 400],
      ['d', 600],
    ]);

    // b at the end of the turn after a's: a poll phase (probes) lies between them; c and d fill one turn.
    expect(startedIn).toEqual({ a: 0, b: 1, c: 3, d: 3 });
  });

  it('starts small work at once, many to a turn: concurrent single-recipient requests still share a statement', () => {
    const pacer = new TurnPacer(1000);
    let started = 0;

    for (let i = 0; i < 500; i++) pacer.start(1, () => started++);
    expect(started).toBe(500);
  });

  it('starts work heavier than its share when it is the first of a turn', async () => {
    const startedIn = await turnsOf(new TurnPacer(1000), [
      ['small', 1],
      ['huge', 5000],
    ]);

    expect(startedIn).toEqual({ small: 0, huge: 1 });
  });
});
