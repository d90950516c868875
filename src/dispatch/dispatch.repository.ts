import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { insertCallbackEvents } from '../callbacks/callback-events.sql';
import { queryRows } from '../database/raw-sql';
import type { AttemptOutcomeName } from '../messages/message-attempt.entity';
import { QUEUED_STATUSES, statusIn, targetOf, TRANSITIONS, type OutcomeStatus } from '../messages/message-status';
import { MessageEntity } from '../messages/message.entity';
import type { MessengerName } from '../providers/messengers';

/** What sending needs of a claimed message: the claim returns no more (it runs for every message). */
export type ClaimedFields = Pick<
  MessageEntity,
  'id' | 'provider' | 'recipient' | 'body' | 'attempts' | 'retriesCount' | 'sender'
>;

export interface ClaimedMessage {
  readonly message: ClaimedFields;
  /** It was claimed before and its lease ran out: the previous worker stopped mid-attempt. */
  readonly leaseExpired: boolean;
}

/** The state a claimed message is left in. */
export interface RecordedOutcome {
  readonly id: string;
  /** The claim this outcome belongs to (messages.attempts at claim time): the fencing token. */
  readonly attempt: number;
  readonly status: OutcomeStatus;
  readonly retriesCount: number;
  /** pending: when it is due again. */
  readonly retryInMs?: number;
  readonly code?: string;
  readonly description?: string;
  readonly providerMessageId?: string;
  readonly sentAt?: Date;
  /** Handed back before any attempt (paced): the claim is undone rather than counted. */
  readonly unclaimed?: boolean;
}

/** One row of message_attempts. */
export interface AttemptRecord {
  readonly messageId: string;
  readonly attempt: number;
  readonly outcome: AttemptOutcomeName;
  readonly startedAt?: Date;
  readonly latencyMs?: number;
  readonly code?: string;
  readonly description?: string;
  readonly providerMessageId?: string;
}

/** In the claim: the row was claimed before, and its lease ran out. */
const LEASE_EXPIRED = statusIn(TRANSITIONS.claim.to, 'due.status');

/**
 * Claims one messenger's due rows in one statement. SKIP LOCKED lets any number of workers share the
 * table without waiting on each other or taking the same row; the lease (locked_until, mirrored in
 * next_attempt_at so that one partial index on (provider, next_attempt_at) serves both cases) hands a row
 * back if the worker that claimed it dies. A reclaimed row counts that lost attempt as a retry.
 * `attempts` is bumped as a fencing token.
 *
 * The rows are updated by the ctid the locking scan returned (we hold their locks, so it cannot move),
 * and `ctid = ANY (…)` pins the plan to a TID scan of just those rows: joined otherwise, the planner may
 * scan the whole table (docs/performance.md#the-claim-and-the-outcome-write-pin-their-plans).
 */
const claimDue = (inOrder: boolean, scope: ScopeSql = 'all') => `
  WITH due AS MATERIALIZED (
    SELECT ctid AS row_id, status FROM messages d
    WHERE provider = $1 AND ${statusIn(TRANSITIONS.claim.from)} AND next_attempt_at <= now()
    ${AND_IN_SCOPE[scope]}
    ${inOrder ? AND_FIRST_IN_LINE : ''}
    ORDER BY next_attempt_at
    LIMIT $2
    FOR UPDATE SKIP LOCKED)
  UPDATE messages m
  SET status = ${targetOf(TRANSITIONS.claim)},
      attempts = m.attempts + 1,
      retries_count = m.retries_count + (${LEASE_EXPIRED})::int,
      locked_until = now() + make_interval(secs => $3),
      next_attempt_at = now() + make_interval(secs => $3),
      updated_at = now()
  FROM due
  WHERE m.ctid = due.row_id AND m.ctid = ANY (ARRAY(SELECT row_id FROM due))
  RETURNING m.id, m.provider, m.recipient, m.body, m.attempts, m.retries_count, m.sender, ${LEASE_EXPIRED} AS lease_expired`;

/**
 * DISPATCH_ORDERING=per_recipient: a message is claimable only while no earlier one (by send_at, then
 * acceptance) to the same provider + recipient is still queued or in flight. It reads the snapshot's
 * view of the other rows, and a row another worker has claimed is 'sending' there: still in line.
 * messages_recipient_queue_idx serves the lookup.
 */
const AND_FIRST_IN_LINE = `
    AND NOT EXISTS (SELECT 1 FROM messages e
                    WHERE e.provider = d.provider AND e.recipient = d.recipient
                      AND ${statusIn(QUEUED_STATUSES, 'e.status')}
                      AND (e.send_at, e.created_at, e.id) < (d.send_at, d.created_at, d.id))`;

/**
 * Which of a messenger's due rows a claim takes: all of them (unpaced), or one lane's (`sender` null: the
 * default account's). A paced worker claims lane by lane, each at its account's rate.
 */
export type ClaimScope = { readonly kind: 'all' } | { readonly kind: 'lane'; readonly sender: string | null };

export const ALL_LANES: ClaimScope = { kind: 'all' };

type ScopeSql = 'all' | 'defaultLane' | 'accountLane';

/**
 * Each scope's condition, $4 its parameter. An account's lane reads messages_due_lane_idx (`IS NOT NULL`
 * matches its predicate). The default lane reads messages_due_idx, passing over the due rows of accounts
 * that come before its own: while an account's backlog waits for its pace, that is a scan of that backlog.
 */
const AND_IN_SCOPE: Record<ScopeSql, string> = {
  all: '',
  defaultLane: 'AND sender IS NULL',
  accountLane: 'AND sender = $4 AND sender IS NOT NULL',
};

const scopeSql = (scope: ClaimScope): ScopeSql =>
  scope.kind === 'all' ? 'all' : scope.sender === null ? 'defaultLane' : 'accountLane';

/** Every claim statement, built once: [in order][scope]. */
const CLAIMS = Object.fromEntries(
  [false, true].map((inOrder) => [
    String(inOrder),
    Object.fromEntries(Object.keys(AND_IN_SCOPE).map((scope) => [scope, claimDue(inOrder, scope as ScopeSql)])),
  ]),
) as Record<'true' | 'false', Record<ScopeSql, string>>;

/**
 * A column of a batch that travels as one array parameter per column and is read back as rows by unnest():
 * its name, its SQL type, and how to read it from a record (undefined is NULL).
 */
interface BatchColumn<T> {
  readonly name: string;
  readonly type: string;
  readonly of: (item: T) => unknown;
}

/** The outcomes' columns, as RECORD_OUTCOMES reads them (`o`). */
const OUTCOME_COLUMNS: readonly BatchColumn<RecordedOutcome>[] = [
  { name: 'id', type: 'uuid', of: (o) => o.id },
  { name: 'attempt', type: 'int', of: (o) => o.attempt },
  { name: 'status', type: 'varchar', of: (o) => o.status },
  { name: 'retries_count', type: 'int', of: (o) => o.retriesCount },
  { name: 'retry_in_ms', type: 'int', of: (o) => (o.retryInMs === undefined ? undefined : Math.ceil(o.retryInMs)) },
  { name: 'code', type: 'varchar', of: (o) => o.code },
  { name: 'description', type: 'text', of: (o) => o.description },
  { name: 'provider_message_id', type: 'varchar', of: (o) => o.providerMessageId },
  { name: 'sent_at', type: 'timestamptz', of: (o) => o.sentAt },
  { name: 'unclaimed', type: 'bool', of: (o) => o.unclaimed ?? false },
];

/** message_attempts' columns, as RECORD_OUTCOMES inserts them. */
const ATTEMPT_COLUMNS: readonly BatchColumn<AttemptRecord>[] = [
  { name: 'message_id', type: 'uuid', of: (a) => a.messageId },
  { name: 'attempt', type: 'int', of: (a) => a.attempt },
  { name: 'outcome', type: 'varchar', of: (a) => a.outcome },
  { name: 'started_at', type: 'timestamptz', of: (a) => a.startedAt },
  { name: 'latency_ms', type: 'int', of: (a) => (a.latencyMs === undefined ? undefined : Math.round(a.latencyMs)) },
  { name: 'code', type: 'varchar', of: (a) => a.code },
  { name: 'description', type: 'text', of: (a) => a.description },
  { name: 'provider_message_id', type: 'varchar', of: (a) => a.providerMessageId },
];

const namesOf = <T>(columns: readonly BatchColumn<T>[]) => columns.map((column) => column.name).join(', ');
/** `unnest($first::type[], …)`: one array parameter per column, numbered from `first`. */
const unnestOf = <T>(columns: readonly BatchColumn<T>[], first: number) =>
  `unnest(${columns.map((column, i) => `$${first + i}::${column.type}[]`).join(', ')})`;
const arraysOf = <T>(columns: readonly BatchColumn<T>[], items: readonly T[]) =>
  columns.map((column) => items.map((item) => column.of(item) ?? null));

/**
 * Writes a whole batch in one statement: each message's new state, the attempts it took, and the callback
 * event of each message that ended sent or failed with a callback_url (the outbox: insertCallbackEvents).
 * A state is written only while the row is still held by the same claim: if our lease ran out and
 * another worker claimed the row, its attempt owns the row now. The attempts are history and are
 * recorded either way: they happened. Only a message retention removed meanwhile loses its late attempt
 * (message_attempts has no foreign key to refuse it; OFFSET 0 keeps that check a probe of the primary key).
 *
 * Each row is found by its primary key alone (the LATERAL with OFFSET 0 keeps the planner from merging
 * the lookup into the join) and updated by ctid, pinned to a TID scan as in the claim. The claim check
 * stays outside the lookup on purpose: given it to plan with, the planner may scan the whole table
 * (docs/performance.md#the-claim-and-the-outcome-write-pin-their-plans). test/dispatch-plans.e2e-spec.ts
 * holds these plans in place.
 */
const RECORD_OUTCOMES = `
  WITH o AS (
    SELECT * FROM ${unnestOf(OUTCOME_COLUMNS, 1)}
      AS o(${namesOf(OUTCOME_COLUMNS)})
  ), history AS (
    INSERT INTO message_attempts (${namesOf(ATTEMPT_COLUMNS)})
    SELECT * FROM ${unnestOf(ATTEMPT_COLUMNS, OUTCOME_COLUMNS.length + 1)} AS a(${namesOf(ATTEMPT_COLUMNS)})
    WHERE EXISTS (SELECT 1 FROM messages x WHERE x.id = a.message_id OFFSET 0)
    ON CONFLICT DO NOTHING
  ), held AS (
    SELECT o.*, cur.row_id FROM o
    CROSS JOIN LATERAL (SELECT x.ctid AS row_id, x.status, x.attempts FROM messages x WHERE x.id = o.id OFFSET 0) cur
    WHERE ${statusIn(TRANSITIONS.outcome.from, 'cur.status')} AND cur.attempts = o.attempt
  ), moved AS (
  UPDATE messages m
  SET status = o.status,
      attempts = m.attempts - o.unclaimed::int,
      retries_count = o.retries_count,
      next_attempt_at = CASE WHEN ${statusIn(QUEUED_STATUSES, 'o.status')} THEN now() + o.retry_in_ms * interval '1 millisecond' END,
      last_error = CASE WHEN o.unclaimed THEN m.last_error ELSE COALESCE(o.description, m.last_error) END,
      last_error_code = CASE WHEN o.unclaimed THEN m.last_error_code ELSE COALESCE(o.code, m.last_error_code) END,
      provider_message_id = o.provider_message_id,
      sent_at = o.sent_at,
      locked_until = NULL,
      updated_at = now()
  FROM held o
  WHERE m.ctid = o.row_id AND m.ctid = ANY (ARRAY(SELECT row_id FROM held))
  RETURNING m.*
  ), events AS (${insertCallbackEvents('moved')}
  )
  SELECT id FROM moved`;

/** When this messenger's next message is due: the first entry of the partial index, whatever the table's size. */
const NEXT_DUE = `
  SELECT min(next_attempt_at) AS due FROM messages WHERE provider = $1 AND ${statusIn(QUEUED_STATUSES)}`;

/**
 * The sender accounts with queued rows of this messenger, in one descent of messages_due_lane_idx per account
 * (a skip scan: however many rows an account has queued, it costs one lookup). Accounts since removed from
 * SENDERS_FILE are among them: their messages go to the sender gate, which keeps them waiting, visibly.
 */
const QUEUED_SENDERS = `
  WITH RECURSIVE lanes(sender) AS (
    (SELECT sender FROM messages
     WHERE provider = $1 AND ${statusIn(QUEUED_STATUSES)} AND sender IS NOT NULL
     ORDER BY sender LIMIT 1)
    UNION ALL
    SELECT (SELECT m.sender FROM messages m
            WHERE m.provider = $1 AND ${statusIn(QUEUED_STATUSES, 'm.status')} AND m.sender IS NOT NULL
              AND m.sender > lanes.sender
            ORDER BY m.sender LIMIT 1)
    FROM lanes WHERE lanes.sender IS NOT NULL)
  SELECT sender FROM lanes WHERE sender IS NOT NULL`;

/** The hot statements, for the spec that checks their plans stay index-only whatever the statistics say. */
export const DISPATCH_SQL = {
  claimDue: CLAIMS.false.all,
  claimDueInOrder: CLAIMS.true.all,
  /** $4: the account's name. */
  claimAccountLane: CLAIMS.false.accountLane,
  claimDefaultLane: CLAIMS.false.defaultLane,
  queuedSenders: QUEUED_SENDERS,
  recordOutcomes: RECORD_OUTCOMES,
  nextDue: NEXT_DUE,
} as const;

interface ClaimedRow {
  id: string;
  provider: MessengerName;
  recipient: string;
  body: string;
  attempts: number;
  retries_count: number;
  sender: string | null;
  lease_expired: boolean;
}

@Injectable()
export class DispatchRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * `inOrder`: only messages with no earlier one to their recipient still in line (DISPATCH_ORDERING).
   * `manager`: a transaction to claim in (a paced claim books its lane's slots in the same one).
   */
  async claimDue(
    provider: MessengerName,
    limit: number,
    leaseSeconds: number,
    inOrder = false,
    manager: EntityManager = this.dataSource.manager,
    scope: ClaimScope = ALL_LANES,
  ): Promise<ClaimedMessage[]> {
    const rows = await queryRows<ClaimedRow>(manager, CLAIMS[`${inOrder}`][scopeSql(scope)], [
      provider,
      limit,
      leaseSeconds,
      ...(scope.kind === 'lane' && scope.sender !== null ? [scope.sender] : []),
    ]);
    return rows.map((row) => ({
      message: {
        id: row.id,
        provider: row.provider,
        recipient: row.recipient,
        body: row.body,
        attempts: row.attempts,
        retriesCount: row.retries_count,
        sender: row.sender,
      },
      leaseExpired: row.lease_expired,
    }));
  }

  /** The accounts with messages of `provider` queued: the lanes a paced drain claims from, besides the default. */
  async queuedSenders(provider: MessengerName): Promise<string[]> {
    const rows = await queryRows<{ sender: string }>(this.dataSource.manager, QUEUED_SENDERS, [provider]);
    return rows.map((row) => row.sender);
  }

  async nextDueAt(provider: MessengerName): Promise<Date | null> {
    const [row] = await queryRows<{ due: Date | null }>(this.dataSource.manager, NEXT_DUE, [provider]);
    return row?.due ?? null;
  }

  /** Returns how many states were written; the rest had been claimed again by another worker. */
  async recordOutcomes(outcomes: readonly RecordedOutcome[], attempts: readonly AttemptRecord[]): Promise<number> {
    if (outcomes.length === 0 && attempts.length === 0) return 0;
    const rows = await queryRows(this.dataSource.manager, RECORD_OUTCOMES, recordOutcomesParams(outcomes, attempts));
    return rows.length;
  }
}

/** RECORD_OUTCOMES's parameters: one array per column, the outcomes' then the attempts'. */
export function recordOutcomesParams(
  outcomes: readonly RecordedOutcome[],
  attempts: readonly AttemptRecord[],
): unknown[] {
  return [...arraysOf(OUTCOME_COLUMNS, outcomes), ...arraysOf(ATTEMPT_COLUMNS, attempts)];
}
