/**
 * Gathers the calls made within one turn of the event loop and serves them with one batched call:
 * N concurrent single-row queries become one multi-row statement, without callers knowing.
 */
export class MicroBatcher<I, O> {
  private pending: { input: I; resolve: (output: O) => void; reject: (error: unknown) => void }[] = [];
  private pendingWeight = 0;
  private scheduled = false;

  constructor(
    /** Serves a batch: one output per input, in order. */
    private readonly run: (inputs: I[]) => Promise<O[]>,
    private readonly maxBatch = 1000,
    /**
     * Bounds a batch by what its inputs weigh (e.g. the rows each adds to a statement), not only by their
     * number; an input heavier than `max` alone is a batch of its own.
     */
    private readonly weight: { readonly of: (input: I) => number; readonly max: number } = {
      of: () => 1,
      max: Infinity,
    },
  ) {}

  call(input: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      const weight = this.weight.of(input);
      if (this.pending.length > 0 && this.pendingWeight + weight > this.weight.max) this.flush();
      this.pending.push({ input, resolve, reject });
      this.pendingWeight += weight;
      if (this.pending.length >= this.maxBatch || this.pendingWeight >= this.weight.max) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => this.flush());
      }
    });
  }

  private flush(): void {
    this.scheduled = false;
    const batch = this.pending;
    this.pending = [];
    this.pendingWeight = 0;
    if (batch.length === 0) return;
    this.run(batch.map((b) => b.input)).then(
      (outputs) => batch.forEach((b, i) => b.resolve(outputs[i])),
      (error: unknown) => batch.forEach((b) => b.reject(error)),
    );
  }
}
