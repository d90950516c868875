import { MicroBatcher } from './micro-batcher';

/** A batcher that records each batch it serves and answers every input with itself. */
function recordingBatcher(maxBatch: number, weight?: { of: (input: number) => number; max: number }) {
  const batches: number[][] = [];
  const batcher = new MicroBatcher<number, number>(async (inputs) => (batches.push(inputs), inputs), maxBatch, weight);
  return { batcher, batches };
}

describe('MicroBatcher', () => {
  it('serves the calls made in one turn of the event loop with one batch, each call getting its own output', async () => {
    const { batcher, batches } = recordingBatcher(10);

    expect(await Promise.all([1, 2, 3].map((n) => batcher.call(n)))).toEqual([1, 2, 3]);
    expect(batches).toEqual([[1, 2, 3]]);
  });

  it('starts a new batch once one holds maxBatch inputs', async () => {
    const { batcher, batches } = recordingBatcher(2);

    await Promise.all([1, 2, 3, 4, 5].map((n) => batcher.call(n)));
    expect(batches).toEqual([[1, 2], [3, 4], [5]]);
  });

  it('keeps a batch within the weight bound: 200 requests of 1000 rows are 100 statements of 2000, not one of 200,000', async () => {
    const { batcher, batches } = recordingBatcher(200, { of: (rows) => rows, max: 2000 });

    await Promise.all(Array.from({ length: 200 }, () => batcher.call(1000)));
    expect(batches).toHaveLength(100);
    expect(batches.every((batch) => batch.reduce((a, b) => a + b) === 2000)).toBe(true);
  });

  it('serves an input heavier than the bound alone, and fills batches around it in order', async () => {
    const { batcher, batches } = recordingBatcher(200, { of: (rows) => rows, max: 2000 });

    await Promise.all([500, 800, 5000, 900, 1200, 100].map((rows) => batcher.call(rows)));
    expect(batches).toEqual([[500, 800], [5000], [900], [1200, 100]]);
  });

  it('fails every call of a batch whose run fails', async () => {
    const batcher = new MicroBatcher<number, number>(() => Promise.reject(new Error('down')));

    const results = await Promise.allSettled([1, 2].map((n) => batcher.call(n)));
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
  });
});
