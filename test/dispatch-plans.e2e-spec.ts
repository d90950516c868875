import type { AttemptRecord, RecordedOutcome } from '../src/dispatch/dispatch.repository';
import { DISPATCH_SQL, recordOutcomesParams } from '../src/dispatch/dispatch.repository';
import { planOf as planFor, readsOfMessages } from './support/query-plans';
import { ownDatabaseConnection } from './support/test-database';

/**
 * The dispatcher's statements run for every message, so their plans must not depend on how big the
 * history is or on what the table's statistics happen to say about `status`: each row is reached through
 * an index (or its ctid), never by reading the table. Both states below once gave the planner reasons to
 * scan: a table of finished rows ('sending' looks absent), and a fresh backlog (everything 'pending').
 */
describe('The dispatcher’s plans', () => {
  const FINISHED = 30_000;
  const DUE = 3_000;
  const BATCH = 1_000;
  const db = ownDatabaseConnection();

  const fill = async (status: 'sent' | 'pending', count: number, offset: number) =>
    db.query(
      `INSERT INTO messages (provider, recipient, body, body_hash, status, send_at, next_attempt_at, sent_at)
       SELECT (ARRAY['telegram','whatsapp','viber'])[1 + i % 3], (100000000 + i)::text, 'plan ' || i,
              sha256(convert_to('plan ' || i, 'UTF8')), $1::varchar, now(),
              CASE WHEN $1::varchar = 'pending' THEN now() END, CASE WHEN $1::varchar = 'sent' THEN now() END
       FROM generate_series($2::int, $2::int + $3::int - 1) AS i`,
      [status, offset, count],
    );

  const planOf = (sql: string, params: unknown[]) => planFor(db, sql, params);

  /** A claimed batch, as the dispatcher holds it, and the outcomes it would record for it. */
  const claimAndSettle = async (): Promise<{ outcomes: RecordedOutcome[]; attempts: AttemptRecord[] }> => {
    const { rows } = await db.query<{ id: string; attempts: number }>(DISPATCH_SQL.claimDue, ['telegram', BATCH, 60]);
    const sentAt = new Date();
    return {
      outcomes: rows.map((r) => ({
        id: r.id,
        attempt: r.attempts,
        status: 'sent',
        retriesCount: 0,
        providerMessageId: `p-${r.id}`,
        sentAt,
      })),
      attempts: rows.map((r) => ({
        messageId: r.id,
        attempt: r.attempts,
        outcome: 'sent',
        startedAt: sentAt,
        latencyMs: 1,
        providerMessageId: `p-${r.id}`,
      })),
    };
  };

  describe.each([
    [
      'a table of finished messages with a small backlog',
      async () => {
        await fill('sent', FINISHED, 0);
        await fill('pending', DUE, FINISHED);
      },
    ],
    [
      'a table that is all backlog',
      async () => {
        await fill('pending', FINISHED + DUE, 0);
      },
    ],
  ])('on %s, analysed', (_state, setUp) => {
    beforeAll(async () => {
      await db.query('TRUNCATE messages, message_attempts CASCADE');
      await setUp();
      await db.query('ANALYZE messages');
    });

    it('claims through the due index and reaches the claimed rows by ctid', async () => {
      for (const sql of [DISPATCH_SQL.claimDue, DISPATCH_SQL.claimDueInOrder]) {
        const nodes = await planOf(sql, ['telegram', BATCH, 60]);
        const reads = readsOfMessages(nodes);
        expect(nodes.some((n) => n['Index Name'] === 'messages_due_idx')).toBe(true);
        expect(reads).toContain('Tid Scan');
        expect(reads.filter((r) => r.startsWith('Seq Scan'))).toEqual([]);
      }
    });

    it('records outcomes through the primary key and ctid, never by scanning', async () => {
      const { outcomes, attempts } = await claimAndSettle();
      expect(outcomes).toHaveLength(BATCH);
      const reads = readsOfMessages(
        await planOf(DISPATCH_SQL.recordOutcomes, recordOutcomesParams(outcomes, attempts)),
      );
      // The index-only probe is the attempts' "does the message exist" check.
      expect(reads.sort()).toEqual([
        'Index Only Scan PK_18325f38ae6de43878487eff986',
        'Index Scan PK_18325f38ae6de43878487eff986',
        'Tid Scan',
      ]);
    });

    describe('with a third of the backlog going through sender accounts', () => {
      beforeAll(async () => {
        await db.query(
          `UPDATE messages SET sender = 'bot-' || (abs(hashtext(id::text)) / 3 % 2)
           WHERE status IN ('pending', 'sending') AND abs(hashtext(id::text)) % 3 = 0`,
        );
        await db.query('ANALYZE messages');
      });

      it("claims an account's lane through messages_due_lane_idx, the default lane through messages_due_idx", async () => {
        for (const [sql, params, index] of [
          [DISPATCH_SQL.claimAccountLane, ['telegram', BATCH, 60, 'bot-0'], 'messages_due_lane_idx'],
          [DISPATCH_SQL.claimDefaultLane, ['telegram', BATCH, 60], 'messages_due_idx'],
        ] as const) {
          const nodes = await planOf(sql, [...params]);
          const reads = readsOfMessages(nodes);
          expect(nodes.some((n) => n['Index Name'] === index)).toBe(true);
          expect(reads).toContain('Tid Scan');
          expect(reads.filter((r) => r.startsWith('Seq Scan'))).toEqual([]);
        }
      });

      it('finds the lanes with work by a skip scan of messages_due_lane_idx', async () => {
        const reads = readsOfMessages(await planOf(DISPATCH_SQL.queuedSenders, ['telegram']));
        expect(reads.length).toBeGreaterThan(0);
        expect(reads.every((r) => r.includes('messages_due_lane_idx'))).toBe(true);
        const { rows } = await db.query<{ sender: string }>(DISPATCH_SQL.queuedSenders, ['telegram']);
        expect(rows.map((r) => r.sender)).toEqual(['bot-0', 'bot-1']);
      });
    });

    it('finds the next due time in the due index', async () => {
      const reads = readsOfMessages(await planOf(DISPATCH_SQL.nextDue, ['telegram']));
      expect(reads.length).toBeGreaterThan(0);
      expect(reads.every((r) => r.includes('messages_due_idx'))).toBe(true);
    });
  });
});
