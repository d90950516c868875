import { setTimeout as sleep } from 'node:timers/promises';
import type { MigrationInterface, QueryRunner } from 'typeorm';
import { bodyDedupKey } from '../../messages/canonical-body';

/** Rows read, keyed and written per round trip: one SELECT and at most one UPDATE per batch. */
export const REKEY_BATCH_SIZE = 1000;

interface StoredRow {
  id: string;
  client: string;
  provider: string;
  recipient: string;
  status: string;
  body: string;
  body_hash: Buffer;
  /** created_at as text: a Date would lose the microseconds the keyset cursor compares. */
  cursor_at: string;
}

interface Rekey {
  readonly id: string;
  readonly key: Buffer;
}

/**
 * The messages after the cursor, client by client and oldest first: the order of messages_created_idx
 * (client, created_at, id), so the read is an index range scan whatever the table's size, and of two rows
 * that now share a key the older comes first and claims it.
 */
const COLUMNS =
  'm.id, m.client, m.provider, m.recipient, m.status, m.body, m.body_hash, m.created_at::text AS cursor_at';
const FIRST_BATCH = `SELECT ${COLUMNS} FROM messages m ORDER BY m.client, m.created_at, m.id LIMIT $1`;
const NEXT_BATCH = `
  SELECT ${COLUMNS} FROM messages m
  WHERE (m.client, m.created_at, m.id) > ($2, $3::timestamptz, $4::uuid)
  ORDER BY m.client, m.created_at, m.id LIMIT $1`;

/**
 * Gives each listed row its new key unless a row that counts for dedup (not cancelled; same client,
 * provider and recipient) already holds that key: that row keeps the slot and this one keeps its old key.
 * A cancelled row is outside messages_dedup_key and takes its key regardless. Answers each row it looked
 * at, with whether it took the key; a row a worker holds at that instant is skipped (`skipLocked`) and
 * not answered, so the migration never waits on a row lock and can't deadlock with the dispatcher's
 * multi-row writes. Rows are found by id and updated by ctid, pinned to a TID scan as in the dispatcher.
 */
const rekeyBatch = (skipLocked: boolean) => `
  WITH batch AS (
    SELECT * FROM unnest($1::uuid[], $2::bytea[]) AS b(id, key)
  ), target AS MATERIALIZED (
    SELECT m.ctid AS row_id, m.id, b.key,
           m.status = 'cancelled' OR NOT EXISTS (
             SELECT 1 FROM messages h
             WHERE h.client = m.client AND h.provider = m.provider AND h.recipient = m.recipient
               AND h.body_hash = b.key AND h.status <> 'cancelled') AS free
    FROM messages m JOIN batch b ON b.id = m.id
    WHERE m.id = ANY ($1::uuid[])
    FOR UPDATE OF m ${skipLocked ? 'SKIP LOCKED' : ''}
  ), rekeyed AS (
    UPDATE messages m SET body_hash = t.key
    FROM target t
    WHERE t.free AND m.ctid = t.row_id AND m.ctid = ANY (ARRAY(SELECT row_id FROM target WHERE free))
  )
  SELECT id, free FROM target`;
const REKEY_SKIP_LOCKED = rekeyBatch(true);
const REKEY_WAITING = rekeyBatch(false);

/** The statements, for the spec that checks their plans stay on indexes whatever the table's size. */
export const CANONICAL_BODY_KEYS_SQL = {
  firstBatch: FIRST_BATCH,
  nextBatch: NEXT_BATCH,
  rekey: REKEY_SKIP_LOCKED,
} as const;

/** Rounds that skip rows a worker holds, before one that waits for them. */
const SKIPPING_ROUNDS = 5;
/** Statements that may lose a race with a concurrent insert (or, waiting, a deadlock) before giving up. */
const RACE_RETRIES = 10;

/**
 * The dedup key becomes the sha256 of the body's canonical form (src/messages/canonical-body.ts) instead
 * of the sha256 of its bytes, and this recomputes it for the existing rows. The key is computed in Node by
 * the very function the service uses (SQL's normalize() follows the server's Unicode version, not Node's),
 * batch by batch, each batch a statement of its own.
 *
 * Rows that now collide stay: of two rows that count for dedup and read the same, the one that already
 * holds the canonical key keeps it, else the older (created_at, id) claims it, and the other keeps its
 * old key and stays as it is. That old key is the sha256 of a body that is not canonical (a canonical
 * body's old key is its canonical key), and the service only ever looks up sha256s of canonical forms, so
 * a kept old key can never match a future request: it blocks nobody, and matches nothing new. A body
 * already canonical, the usual case, keeps its key and its row is not written at all.
 *
 * Runs outside a transaction, so that processes of the previous version keep working while it runs:
 * - no table lock; each batch commits on its own and holds its rows' locks for one statement only, and
 *   skips rows a worker holds (then comes back for them), so API requests and the dispatcher never wait
 *   on it for long, nor deadlock with it;
 * - an old process may insert, between this batch's check and its write, a row holding the key a batch
 *   is giving (its body canonical, so its raw key is the canonical key): the write then fails with a
 *   unique violation and the batch is run again, sees the new row and leaves the other as it is;
 * - rows an old process inserts behind the cursor keep their raw key, and dedup as before this change
 *   (by bytes), as do the old process's own requests while it runs: one whose body is not canonical no
 *   longer finds a re-keyed row by its bytes. The guarantee is whole once the old processes are gone;
 *   stopping them before starting the new version gives it from the start.
 * Interrupted, it runs again from the start at the next start-up: it is idempotent (a re-keyed row's new
 * key is its key; a row left alone is left alone again).
 *
 * Cost: one read of the whole table in index order plus one write per row whose body was not canonical,
 * in batches of REKEY_BATCH_SIZE (one SELECT and one UPDATE, about a megabyte of bodies at most).
 */
export class CanonicalBodyKeys1795890000000 implements MigrationInterface {
  name = 'CanonicalBodyKeys1795890000000';
  transaction = false;
  /** Rows per batch; a spec makes it small, to cross batch boundaries with a few rows. */
  batchSize = REKEY_BATCH_SIZE;

  public async up(queryRunner: QueryRunner): Promise<void> {
    let rows = (await queryRunner.query(FIRST_BATCH, [this.batchSize])) as StoredRow[];
    while (rows.length > 0) {
      await rekey(queryRunner, keysToGive(rows));
      const last = rows[rows.length - 1];
      rows = (await queryRunner.query(NEXT_BATCH, [
        this.batchSize,
        last.client,
        last.cursor_at,
        last.id,
      ])) as StoredRow[];
    }
  }

  public async down(queryRunner: QueryRunner): Promise<void> {
    // Back to the sha256 of the bytes, which rows that count for dedup rarely share: equal bytes mean equal
    // canonical forms, which the canonical keys kept unique, unless a slot's holder was cancelled and the
    // body queued again while a copy kept its old key. This fails then, rather than lose a row.
    await queryRunner.query(`
      UPDATE messages SET body_hash = sha256(convert_to(body, 'UTF8')) WHERE body_hash <> sha256(convert_to(body, 'UTF8'))`);
  }
}

/** The rows of a batch whose key changes; of two in the batch that would share a slot, the first (older). */
function keysToGive(rows: readonly StoredRow[]): Rekey[] {
  const claimed = new Set<string>();
  const rekeys: Rekey[] = [];
  for (const row of rows) {
    const key = bodyDedupKey(row.body);
    if (key.equals(row.body_hash)) continue;
    if (row.status !== 'cancelled') {
      const slot = JSON.stringify([row.client, row.provider, row.recipient, key.toString('hex')]);
      if (claimed.has(slot)) continue;
      claimed.add(slot);
    }
    rekeys.push({ id: row.id, key });
  }
  return rekeys;
}

async function rekey(queryRunner: QueryRunner, rekeys: readonly Rekey[]): Promise<void> {
  let pending = rekeys;
  let races = 0;
  for (let round = 1; pending.length > 0; round++) {
    const waiting = round > SKIPPING_ROUNDS;
    let answered: { id: string }[];
    try {
      answered = (await queryRunner.query(waiting ? REKEY_WAITING : REKEY_SKIP_LOCKED, [
        pending.map((r) => r.id),
        pending.map((r) => r.key),
      ])) as { id: string }[];
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      if ((code !== UNIQUE_VIOLATION && code !== DEADLOCK) || ++races > RACE_RETRIES) throw error;
      continue;
    }
    const done = new Set(answered.map((row) => row.id));
    // Waiting, every row still there is answered; one that isn't was deleted meanwhile.
    pending = waiting ? [] : pending.filter((r) => !done.has(r.id));
    // A worker holds a row for one statement: a moment is enough.
    if (pending.length > 0) await sleep(20 * round);
  }
}

const UNIQUE_VIOLATION = '23505';
const DEADLOCK = '40P01';
