/**
 * The message state machine, in one place. The SQL that reads or writes `messages.status` (the ingest, the
 * claim, the outcome write, cancel, retry, the queue gauges) and the entity's CHECK and partial indexes are
 * built from these constants; test/message-status.e2e-spec.ts runs each statement from every status and
 * checks that it makes its transition's moves and no others.
 *
 *   (new) → pending → sending → sent | failed
 *   sending → pending    a retry due later, or a claim undone
 *   sending → sending    its lease ran out, and a worker claims it again
 *   pending → cancelled  DELETE /messages/:id
 *   failed → pending     POST /messages/:id/retry
 */
export const MESSAGE_STATUSES = ['pending', 'sending', 'sent', 'failed', 'cancelled'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

/** What POST /messages stores: the column's default. */
export const NEW_STATUS = 'pending' satisfies MessageStatus;

/**
 * Still the dispatcher's: waiting (pending: due, scheduled or backing off) or in flight (sending). The
 * claim takes only these, the partial indexes hold only these, and the queue gauges count them.
 */
export const QUEUED_STATUSES = ['pending', 'sending'] as const satisfies readonly MessageStatus[];

/** Done with: nothing more will be attempted (unless a failed one is retried). Retention removes only these. */
export const FINISHED_STATUSES = ['sent', 'failed', 'cancelled'] as const satisfies readonly MessageStatus[];

/** Out of deduplication (no key in message_keys): after a cancel, the same body may be queued again. */
export const UNDEDUPLICATED_STATUSES = ['cancelled'] as const satisfies readonly MessageStatus[];

/**
 * Where a message's moves are told to its callback_url (src/callbacks): each move into one of these writes
 * an event, `message.<status>`, in the statement that makes it (RECORD_OUTCOMES, CANCEL_PENDING).
 */
export const TERMINAL_STATUSES = ['sent', 'failed', 'cancelled'] as const satisfies readonly MessageStatus[];

interface Transition {
  readonly from: readonly MessageStatus[];
  readonly to: readonly MessageStatus[];
}

/** Every move a message makes, by the statement that makes it. */
export const TRANSITIONS = {
  /** A worker takes a queued message that is due (CLAIM_DUE); a sending one is due once its lease ran out. */
  claim: { from: QUEUED_STATUSES, to: ['sending'] },
  /**
   * The attempt's outcome (RECORD_OUTCOMES), written only while the claim still holds the row: sent, failed
   * for good, or pending again (a retry due later, or a claim undone before any attempt).
   */
  outcome: { from: ['sending'], to: ['sent', 'failed', 'pending'] },
  /** DELETE /messages/:id (CANCEL_PENDING): only before a worker has claimed it. */
  cancel: { from: ['pending'], to: ['cancelled'] },
  /** POST /messages/:id/retry (RETRY_FAILED). */
  retry: { from: ['failed'], to: ['pending'] },
} as const satisfies Record<string, Transition>;

export type OutcomeStatus = (typeof TRANSITIONS.outcome.to)[number];

/** Whether `status` is one the transition starts from. */
export const startsFrom = (transition: Transition, status: MessageStatus): boolean => transition.from.includes(status);

const literal = (status: MessageStatus) => `'${status}'`;

/** SQL: `column` is one of `statuses` (`status = 'failed'`, `status IN ('pending', 'sending')`). */
export const statusIn = (statuses: readonly MessageStatus[], column = 'status'): string =>
  statuses.length === 1 ? `${column} = ${literal(statuses[0])}` : `${column} IN (${statuses.map(literal).join(', ')})`;

/** SQL: `column` is none of `statuses` (`status <> 'cancelled'`). */
export const statusNotIn = (statuses: readonly MessageStatus[], column = 'status'): string =>
  statuses.length === 1
    ? `${column} <> ${literal(statuses[0])}`
    : `${column} NOT IN (${statuses.map(literal).join(', ')})`;

/** SQL: the status a transition with one target sets (`'cancelled'`). */
export const targetOf = (transition: { readonly to: readonly [MessageStatus] }): string => literal(transition.to[0]);
