import { randomUUID } from 'node:crypto';
import { DISPATCH_SQL, recordOutcomesParams, type AttemptRecord, type RecordedOutcome } from './dispatch.repository';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** What a parameter array of each SQL type may hold (besides NULL). */
const FITS: Record<string, (value: unknown) => boolean> = {
  uuid: (value) => typeof value === 'string' && UUID.test(value),
  int: (value) => Number.isInteger(value),
  varchar: (value) => typeof value === 'string',
  text: (value) => typeof value === 'string',
  timestamptz: (value) => value instanceof Date,
  bool: (value) => typeof value === 'boolean',
};

describe('RECORD_OUTCOMES and its parameters', () => {
  const id = randomUUID();
  const outcomes: RecordedOutcome[] = [
    {
      id,
      attempt: 2,
      status: 'pending',
      retriesCount: 1,
      retryInMs: 1500.2,
      code: '500',
      description: 'Internal Server Error',
    },
    { id: randomUUID(), attempt: 1, status: 'sent', retriesCount: 0, providerMessageId: '52817', sentAt: new Date() },
  ];
  const attempts: AttemptRecord[] = [
    {
      messageId: id,
      attempt: 2,
      outcome: 'retry',
      startedAt: new Date(),
      latencyMs: 14.6,
      code: '500',
      description: 'Internal Server Error',
    },
  ];
  const sql = DISPATCH_SQL.recordOutcomes;
  const placeholders = [...sql.matchAll(/\$(\d+)::(\w+)\[\]/g)].map(([, n, type]) => ({ n: Number(n), type }));
  const params = recordOutcomesParams(outcomes, attempts) as unknown[][];

  /** How many columns each unnest() reads: the outcomes', then the attempts'. */
  const unnested = [...sql.matchAll(/unnest\(([^)]*)\)/g)].map(([, list]) => list.split(',').length);

  it('passes one array per placeholder, in order: one entry per outcome, then one per attempt', () => {
    expect(placeholders.map(({ n }) => n)).toEqual(params.map((_, i) => i + 1));
    expect(params.map((values) => values.length)).toEqual([
      ...Array<number>(unnested[0]).fill(outcomes.length),
      ...Array<number>(unnested[1]).fill(attempts.length),
    ]);
  });

  it('puts in each array only what its SQL type takes, or NULL', () => {
    const misfits = placeholders.flatMap(({ n, type }) =>
      params[n - 1]
        .filter((value) => value !== null && !FITS[type](value))
        .map((value) => `$${n}::${type}[]: ${String(value)}`),
    );
    expect(misfits).toEqual([]);
  });

  it('names as many columns as it unnests, for the outcomes and for the attempts', () => {
    const [outcomeNames, attemptNames] = [/AS o\(([^)]*)\)/, /INSERT INTO message_attempts \(([^)]*)\)/].map(
      (pattern) => pattern.exec(sql)![1].split(',').length,
    );
    expect([outcomeNames, attemptNames]).toEqual(unnested);
  });
});
