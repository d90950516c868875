import { DISPATCH_SQL, recordOutcomesParams, type RecordedOutcome } from '../src/dispatch/dispatch.repository';
import { INGEST_SQL } from '../src/messages/message-ingest';
import {
  MESSAGE_STATUSES,
  NEW_STATUS,
  QUEUED_STATUSES,
  statusNotIn,
  TRANSITIONS,
  UNDEDUPLICATED_STATUSES,
  type MessageStatus,
} from '../src/messages/message-status';
import { MESSAGES_SQL } from '../src/messages/messages.repository';
import { METRICS_SQL } from '../src/metrics/metrics.repository';
import { ownDatabaseConnection } from './support/test-database';

type Move = `${MessageStatus} → ${MessageStatus}`;
interface Message {
  id: string;
  status: MessageStatus;
  /** The row version: it changes whenever a statement rewrites the row, even to the same status. */
  version: string;
  recipient: string;
  body: string;
  body_hash: Buffer;
}

const LEASE_SECONDS = 60;

/**
 * src/messages/message-status.ts says which moves a message makes. Here each statement that writes a status
 * runs on a message in every status, and the moves it really made must be its transition's: all of them (a
 * move the machine lists and no statement makes is a lie there) and no others.
 */
describe('The message state machine, as the SQL makes it', () => {
  const db = ownDatabaseConnection();

  const messages = async (): Promise<Message[]> =>
    (await db.query<Message>('SELECT id, status, xmin::text AS version, recipient, body, body_hash FROM messages'))
      .rows;

  /** A message in each status, claimed once, due now, and (sending) with its lease run out. */
  const oneInEachStatus = async (): Promise<Message[]> => {
    await db.query('TRUNCATE messages, message_keys CASCADE');
    await db.query(
      `INSERT INTO messages (client, provider, recipient, body, body_hash, status, send_at, next_attempt_at, locked_until, attempts)
       SELECT 'default', 'telegram', (100000000 + i)::text, 'in ' || s, sha256(convert_to('in ' || s, 'UTF8')), s, now(),
              now() - interval '1 second', now() - interval '1 second', 1
       FROM unnest($1::varchar[]) WITH ORDINALITY AS x(s, i)`,
      [MESSAGE_STATUSES],
    );
    // Their keys, as the service keeps them: every message that dedups has one.
    await db.query(
      `INSERT INTO message_keys (client, provider, recipient, body_hash, message_id)
       SELECT client, provider, recipient, body_hash, id FROM messages WHERE ${statusNotIn(UNDEDUPLICATED_STATUSES)}`,
    );
    return messages();
  };

  /** Runs the statement on a message in each status: the moves of the rows it rewrote. */
  const movesMadeBy = async (statement: (messages: Message[]) => Promise<unknown>): Promise<Move[]> => {
    const before = await oneInEachStatus();
    await statement(before);
    const after = new Map((await messages()).map((m) => [m.id, m]));
    return before
      .filter((m) => after.get(m.id)!.version !== m.version)
      .map((m): Move => `${m.status} → ${after.get(m.id)!.status}`);
  };

  const eachMessage = (sql: string) => async (all: Message[]) => {
    for (const { id } of all) await db.query(sql, [id, 'default']);
  };
  const recordOutcome = (outcome: Omit<RecordedOutcome, 'id' | 'attempt' | 'retriesCount'>) => (all: Message[]) =>
    db.query(
      DISPATCH_SQL.recordOutcomes,
      recordOutcomesParams(
        all.map(({ id }) => ({ ...outcome, id, attempt: 1, retriesCount: 0 })),
        [],
      ),
    );

  /** Every statement that writes messages.status, by the transition it is built from. */
  const STATEMENTS: Record<keyof typeof TRANSITIONS, Array<(all: Message[]) => Promise<unknown>>> = {
    claim: [
      () => db.query(DISPATCH_SQL.claimDue, ['telegram', 10, LEASE_SECONDS]),
      () => db.query(DISPATCH_SQL.claimDueInOrder, ['telegram', 10, LEASE_SECONDS]),
    ],
    outcome: [
      recordOutcome({ status: 'sent', providerMessageId: 'p-1', sentAt: new Date() }),
      recordOutcome({ status: 'failed', code: '403', description: 'Forbidden: bot was blocked by the user' }),
      recordOutcome({ status: 'pending', retryInMs: 60_000, code: '500', description: 'Internal Server Error' }),
      recordOutcome({ status: 'pending', retryInMs: 0, unclaimed: true }),
    ],
    cancel: [eachMessage(MESSAGES_SQL.cancelPending)],
    retry: [eachMessage(MESSAGES_SQL.retryFailed)],
  };

  const movesOf = ({
    from,
    to,
  }: {
    readonly from: readonly MessageStatus[];
    readonly to: readonly MessageStatus[];
  }): Move[] => from.flatMap((f) => to.map((t): Move => `${f} → ${t}`)).sort();

  it.each(Object.keys(TRANSITIONS) as (keyof typeof TRANSITIONS)[])(
    '%s: its statements make its moves and no others',
    async (name) => {
      const made = new Set<Move>();
      for (const statement of STATEMENTS[name] ?? []) for (const move of await movesMadeBy(statement)) made.add(move);

      expect([...made].sort()).toEqual(movesOf(TRANSITIONS[name]));
    },
  );

  it(`stores a new message as ${NEW_STATUS}, and a body queued again only beside a message out of deduplication`, async () => {
    const existing = await oneInEachStatus();
    const { rows } = await db.query<{ ord: string; id: string; duplicate: boolean }>(INGEST_SQL.storeNew, [
      existing.map(() => 'telegram'),
      existing.map((m) => m.recipient),
      existing.map((m) => m.body),
      existing.map((m) => m.body_hash),
      existing.map(() => null),
      existing.map((_, i) => i + 1),
      existing.map(() => 'default'),
      existing.map(() => null), // sender, per row
      existing.map(() => null), // callback_url, per request
    ]);

    const answers = existing.map((m, i) => ({ besides: m.status, answer: rows.find((r) => Number(r.ord) === i + 1)! }));
    expect(answers.filter(({ answer }) => !answer.duplicate).map(({ besides }) => besides)).toEqual([
      ...UNDEDUPLICATED_STATUSES,
    ]);
    const stored = await messages();
    const added = stored.filter((m) => !existing.some((e) => e.id === m.id));
    expect(added.map((m) => m.status)).toEqual(UNDEDUPLICATED_STATUSES.map(() => NEW_STATUS));
  });

  it('counts the queued statuses in the queue gauges, and no others', async () => {
    await oneInEachStatus();

    const { rows } = await db.query<{ status: MessageStatus }>(METRICS_SQL.queueDepth);

    expect(rows.map((r) => r.status).sort()).toEqual([...QUEUED_STATUSES].sort());
  });
});
