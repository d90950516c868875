import type { MessageDto } from '../messages/dto/message.dto';
import { statusIn, TERMINAL_STATUSES } from '../messages/message-status';

/** SQL: a timestamptz as Date.toISOString() writes it (UTC, milliseconds cut, not rounded, as the driver's Dates are). */
const iso = (column: string) => `to_char(${column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"')`;

/**
 * Each field of MessageDto as SQL over a row of messages, in the order GET /messages/:id writes them
 * (toMessageDto). Typed by the DTO's keys, so a field added to the DTO does not compile until it is added
 * here too; test/callbacks.e2e-spec.ts checks that an event's data equals what GET shows.
 */
const MESSAGE_FIELDS: { readonly [field in keyof MessageDto]: (row: string) => string } = {
  id: (r) => `${r}.id`,
  provider: (r) => `${r}.provider`,
  recipient: (r) => `${r}.recipient`,
  status: (r) => `${r}.status`,
  send_at: (r) => iso(`${r}.send_at`),
  next_attempt_at: (r) => iso(`${r}.next_attempt_at`),
  retries_count: (r) => `${r}.retries_count`,
  attempts: (r) => `${r}.attempts`,
  last_error: (r) => `${r}.last_error`,
  last_error_code: (r) => `${r}.last_error_code`,
  provider_message_id: (r) => `${r}.provider_message_id`,
  sent_at: (r) => iso(`${r}.sent_at`),
  callback_url: (r) => `${r}.callback_url`,
  created_at: (r) => iso(`${r}.created_at`),
  updated_at: (r) => iso(`${r}.updated_at`),
  body: (r) => `${r}.body`,
};

/** SQL: the row `row` of messages as GET /messages/:id shows it, as json (which keeps the keys' order). */
const messageJson = (row: string) =>
  `json_build_object(${Object.entries(MESSAGE_FIELDS)
    .map(([field, sql]) => `'${field}', ${sql(row)}`)
    .join(', ')})`;

/**
 * SQL for a data-modifying CTE: the outbox's side of a move into a terminal state. `moved` names the rows
 * the move's UPDATE returned (every column, as they now are); each that has a callback_url and is now
 * terminal gets its event, in the same statement, so the event is committed if and only if the move is.
 * The event's time (created_at, the body's `timestamp`) is the transaction's, as the row's updated_at.
 */
export const insertCallbackEvents = (moved: string) => `
    INSERT INTO callback_events (message_id, client, type, url, payload)
    SELECT e.id, e.client, 'message.' || e.status, e.callback_url, ${messageJson('e')}
    FROM ${moved} e
    WHERE e.callback_url IS NOT NULL AND ${statusIn(TERMINAL_STATUSES, 'e.status')}`;
