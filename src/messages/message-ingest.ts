import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { MicroBatcher } from '../common/micro-batcher';
import { prepared } from '../database/prepared-statements';
import { queryRows, rowMapper } from '../database/raw-sql';
import type { MessengerName } from '../providers/messengers';
import { statusIn } from './message-status';
import { sameDedupKey } from './message-keys.sql';
import { MessageEntity } from './message.entity';

export interface NewMessages {
  /** The API client the messages belong to; duplicates are found among its own messages only. */
  readonly client: string;
  readonly body: string;
  /** The dedup key: bodyDedupKey(body). */
  readonly bodyHash: Buffer;
  /** null: now. */
  readonly sendAt: Date | null;
  /** Where the messages' terminal states are told; absent or null: nowhere. */
  readonly callbackUrl?: string | null;
  readonly recipients: ReadonlyArray<{
    readonly provider: MessengerName;
    readonly recipient: string;
    /** The sender account it goes out with (SENDERS_FILE); null: the built-in emulator. */
    readonly sender: string | null;
  }>;
}

export interface StoredMessage {
  readonly message: MessageEntity;
  /** The client had already queued this body for this provider + recipient: `message` is that one. */
  readonly duplicate: boolean;
}

/** What an answer needs of a message: not the body (the request has it) nor its hash, the lease or the client. */
const ANSWERED = [
  'id',
  'provider',
  'recipient',
  'status',
  'send_at',
  'next_attempt_at',
  'retries_count',
  'attempts',
  'last_error',
  'last_error_code',
  'provider_message_id',
  'sender',
  'sent_at',
  'callback_url',
  'created_at',
  'updated_at',
] as const;
const ANSWERED_COLUMNS = [...ANSWERED, 'client'].join(', ');
/**
 * Times travel as whole milliseconds since the epoch (a float8 the driver reads with parseFloat), not as
 * text for the driver to parse with a regular expression: 4 per row, 4000 in a 1000-recipient answer.
 * floor() drops the microseconds as the driver's own parsing does.
 */
const TIME_COLUMNS = new Set(['send_at', 'next_attempt_at', 'sent_at', 'created_at', 'updated_at']);
const columnsOf = (alias: string) =>
  ANSWERED.map((column) =>
    TIME_COLUMNS.has(column)
      ? `floor(extract(epoch FROM ${alias}.${column}) * 1000)::float8 AS ${column}`
      : `${alias}.${column}`,
  ).join(', ');

/**
 * A removed message (src/retention), answered from its dedup record in the columns and order of columnsOf():
 * what the record keeps, and NULL for what went with the message (its errors, the messenger's id, its sender
 * account, its callback URL). It finished when it was last updated; a sent one was sent then.
 */
const REMOVED = {
  id: 'd.message_id',
  provider: 'i.provider',
  recipient: 'i.recipient',
  status: 'd.status',
  send_at: 'd.send_at',
  next_attempt_at: 'NULL::timestamptz',
  retries_count: 'd.retries_count',
  attempts: 'd.attempts',
  last_error: 'NULL::text',
  last_error_code: 'NULL::varchar',
  provider_message_id: 'NULL::varchar',
  sender: 'NULL::text',
  sent_at: `CASE WHEN ${statusIn(['sent'], 'd.status')} THEN d.finished_at END`,
  callback_url: 'NULL::text',
  created_at: 'd.created_at',
  updated_at: 'd.finished_at',
} satisfies Record<(typeof ANSWERED)[number], string>;
const REMOVED_COLUMNS = ANSWERED.map((column) =>
  TIME_COLUMNS.has(column)
    ? `floor(extract(epoch FROM ${REMOVED[column]}) * 1000)::float8 AS ${column}`
    : `${REMOVED[column]} AS ${column}`,
).join(', ');

/**
 * Stores the rows of every request in the batch and answers each row, in one statement and one round trip
 * (no BEGIN/COMMIT: one statement is atomic by itself). The primary key of message_keys (client, provider,
 * recipient, body hash) decides what is a duplicate, so concurrent identical requests cannot both insert:
 * each row's key goes in first, with the id its message will have, and ON CONFLICT DO NOTHING turns a key
 * already there into "already there" instead of an error; only the rows whose key went in become
 * messages, and the second branch reads the others' messages through their keys. Keys go in in key order,
 * so two statements that share keys in different orders wait for each other instead of deadlocking. A body,
 * its client and its callback URL travel once per request ($3, $4, $7, $9, indexed by each row's $6), not
 * once per row; each answer row carries its input row's position (ord), so the caller needs no keys to
 * match them. next_attempt_at uses the database's clock, the same clock the claim compares it with. The
 * workers are woken (DispatchWakeup LISTENs on messages_due) on commit, so they never look before the rows
 * exist; the payload says which messengers have new work and when the earliest of it is due
 * (`provider:dueAtMs[,…]`), and is sent only when a row was inserted.
 *
 * A text whose message retention removed is still a duplicate: its dedup record (dedup_records, looked up
 * by primary key in the same statement) keeps the row out of the INSERT, and the third branch answers it
 * from the record (its check for a live key runs only where a record was found: most rows have none).
 * OFFSET 0 keeps the look-ups per-row probes of the primary keys: merged into the query, the planner may
 * hash-join a whole scan of a table of millions (test/retention-plans.e2e-spec.ts).
 * Retention removes a message with its key and writes its record in one statement, so a snapshot sees one
 * or the other; only a statement whose snapshot predates that removal and whose INSERT runs after it
 * commits could insert the text again (the key it conflicted with is gone, the record not yet visible).
 *
 * The second branch reads the statement's snapshot: a duplicate committed by a concurrent statement after
 * it was taken is skipped by the INSERT yet invisible here, so its row comes back unanswered and the
 * caller asks again, in a new statement that sees it.
 */
const STORE_NEW = prepared(
  'ingest_store_new',
  `
  WITH input AS (
    SELECT r.ord, r.request, ($7::varchar[])[r.request] AS client, r.provider, r.recipient, r.sender,
           ($4::bytea[])[r.request] AS body_hash, uuid_v7() AS id
    FROM unnest($1::varchar[], $2::varchar[], $6::int[], $8::text[]) WITH ORDINALITY AS r(provider, recipient, request, sender, ord)
  ), keyed AS (
    INSERT INTO message_keys (client, provider, recipient, body_hash, message_id)
    SELECT client, provider, recipient, body_hash, id
    FROM input
    WHERE NOT EXISTS (SELECT 1 FROM dedup_records d WHERE ${sameDedupKey('d', 'input')} OFFSET 0)
    ORDER BY client, provider, recipient, body_hash
    ON CONFLICT DO NOTHING
    RETURNING message_id
  ), inserted AS (
    INSERT INTO messages (id, client, provider, recipient, sender, body, body_hash, send_at, next_attempt_at, callback_url)
    SELECT i.id, i.client, i.provider, i.recipient, i.sender, ($3::text[])[i.request], i.body_hash,
           COALESCE(($5::timestamptz[])[i.request], now()), GREATEST(COALESCE(($5::timestamptz[])[i.request], now()), now()),
           ($9::text[])[i.request]
    FROM input i JOIN keyed k ON k.message_id = i.id
    RETURNING ${ANSWERED_COLUMNS}, body_hash
  ), notified AS (
    SELECT pg_notify('messages_due', string_agg(provider || ':' || due, ','))
    FROM (SELECT provider, floor(extract(epoch FROM min(next_attempt_at)) * 1000)::bigint AS due FROM inserted GROUP BY provider) earliest
    HAVING count(*) > 0
  )
  SELECT i.ord, false AS duplicate, ${columnsOf('m')}, (SELECT count(*) FROM notified) AS notified
  FROM inserted m
  JOIN input i ON ${sameDedupKey('i', 'm')}
  UNION ALL
  SELECT i.ord, true, ${columnsOf('m')}, NULL
  FROM input i
  CROSS JOIN LATERAL (SELECT k.message_id FROM message_keys k WHERE ${sameDedupKey('k', 'i')} OFFSET 0) k
  JOIN messages m ON m.id = k.message_id
  WHERE NOT EXISTS (SELECT 1 FROM inserted x WHERE ${sameDedupKey('x', 'i')})
  UNION ALL
  SELECT i.ord, true, ${REMOVED_COLUMNS}, NULL
  FROM input i
  CROSS JOIN LATERAL (SELECT * FROM dedup_records d
                      WHERE ${sameDedupKey('d', 'i')}
                        AND NOT EXISTS (SELECT 1 FROM message_keys k WHERE ${sameDedupKey('k', 'd')} OFFSET 0)
                      OFFSET 0) d`,
);

/** Rows to store, one entry per row in parallel arrays (what STORE_NEW takes). */
interface Rows {
  readonly providers: MessengerName[];
  readonly recipients: string[];
  readonly senders: (string | null)[];
  /** Index of each row's request in the batch, 1-based for SQL arrays. */
  readonly requests: number[];
  /** Where each row's answer goes in the batch's flat list of answers. */
  readonly positions: number[];
}

const noRows = (): Rows => ({ providers: [], recipients: [], senders: [], requests: [], positions: [] });

/**
 * Rows one STORE_NEW statement takes at most (two of the largest requests): its parameters, result rows and
 * entities are held at once, so the bound keeps that to a few MB however many requests arrive together.
 */
const MAX_ROWS_PER_STATEMENT = 2000;

/** The statement, for the spec that checks the statuses it writes (test/message-status.e2e-spec.ts). */
export const INGEST_SQL = { storeNew: STORE_NEW } as const;

/** Stores the new messages of POST /messages, many requests to a statement. */
@Injectable()
export class MessageIngest {
  private readonly toEntity: (row: Record<string, unknown>) => MessageEntity;
  private readonly batcher: MicroBatcher<NewMessages, StoredMessage[]>;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {
    this.toEntity = rowMapper(dataSource, MessageEntity);
    this.batcher = new MicroBatcher((requests) => this.insertBatch(requests), 200, {
      of: (request) => request.recipients.length,
      max: MAX_ROWS_PER_STATEMENT,
    });
  }

  /**
   * Stores the new messages and finds the duplicates; the result is in `recipients` order. Concurrent calls
   * share one statement (see MicroBatcher and STORE_NEW): under load the API makes one round trip per
   * batch of requests, not a transaction per request.
   */
  insertMany(input: NewMessages): Promise<StoredMessage[]> {
    return this.batcher.call(input);
  }

  private async insertBatch(requests: NewMessages[]): Promise<StoredMessage[][]> {
    let missing = noRows();
    for (let i = 0; i < requests.length; i++) {
      for (const { provider, recipient, sender } of requests[i].recipients) {
        missing.positions.push(missing.providers.length);
        missing.providers.push(provider);
        missing.recipients.push(recipient);
        missing.senders.push(sender);
        missing.requests.push(i + 1);
      }
    }
    const answers: (StoredMessage | undefined)[] = new Array<StoredMessage | undefined>(missing.providers.length);
    // A duplicate committed by a concurrent statement is found by the next round, in a new snapshot; one
    // cancelled meanwhile is free again, and the next round inserts it. Two rounds settle any real
    // interleaving; the third is a safety margin. Each round is its own statement: a request whose rows
    // need a second round may have some stored by the first even if the second fails (a 503), and its
    // retry then finds them as duplicates, as it would after an answer lost on the way back.
    // One Date per instant, shared by the entities (nothing changes an entity's times): a batch's times are
    // nearly all one instant, its statement's now().
    const dates = new Map<number, Date>();
    const dateAt = (time: number): Date => {
      let date = dates.get(time);
      if (date === undefined) dates.set(time, (date = new Date(time)));
      return date;
    };
    for (let round = 0; missing.providers.length > 0 && round < 3; round++) {
      for (const row of await this.storeNew(requests, missing)) {
        const i = Number(row.ord) - 1;
        const request = requests[missing.requests[i] - 1];
        for (const column of TIME_COLUMNS) if (row[column] !== null) row[column] = dateAt(row[column] as number);
        const message = this.toEntity(row);
        message.client = request.client;
        message.body = request.body;
        answers[missing.positions[i]] = { message, duplicate: row.duplicate as boolean };
      }
      const left = noRows();
      missing.positions.forEach((position, i) => {
        if (answers[position] !== undefined) return;
        left.positions.push(position);
        left.providers.push(missing.providers[i]);
        left.recipients.push(missing.recipients[i]);
        left.senders.push(missing.senders[i]);
        left.requests.push(missing.requests[i]);
      });
      missing = left;
    }
    if (missing.providers.length > 0)
      throw new Error(`Could neither insert nor find ${missing.providers.length} message(s)`);
    const stored = answers as StoredMessage[];
    // Within one batch, two requests may carry the same row: the first inserts it, and to the later ones
    // it is a duplicate, as it would be had they come after it.
    if (requests.length > 1) {
      const owned = new Set<string>();
      stored.forEach((answer, position) => {
        if (answer.duplicate) return;
        if (owned.has(answer.message.id)) stored[position] = { message: answer.message, duplicate: true };
        else owned.add(answer.message.id);
      });
    }
    let next = 0;
    return requests.map((request) => stored.slice(next, (next += request.recipients.length)));
  }

  private storeNew(requests: NewMessages[], rows: Rows): Promise<Record<string, unknown>[]> {
    return queryRows(this.dataSource.manager, STORE_NEW, [
      rows.providers,
      rows.recipients,
      requests.map((r) => r.body),
      requests.map((r) => r.bodyHash),
      requests.map((r) => r.sendAt),
      rows.requests,
      requests.map((r) => r.client),
      rows.senders,
      requests.map((r) => r.callbackUrl ?? null),
    ]);
  }
}
