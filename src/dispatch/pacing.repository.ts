import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, type EntityManager } from 'typeorm';
import { queryRows } from '../database/raw-sql';
import { type Lane, laneSender } from './lane';

// Times travel as ms since the epoch on the database's clock (float8: slots are fractional ms), and are
// stored as timestamptz (microseconds).

/** The lane's row, locked for the rest of the transaction: claims of one lane take turns, every worker's. */
const LOCK_LANE = `
  SELECT extract(epoch FROM next_slot_at)::float8 * 1000 AS next_slot
  FROM dispatch_lanes WHERE provider = $1 AND sender = $2
  FOR UPDATE`;

const ADD_LANE = `INSERT INTO dispatch_lanes (provider, sender) VALUES ($1, $2) ON CONFLICT DO NOTHING`;

/** Of these recipients, those still inside their interval at $4, and until when. */
const BUSY_RECIPIENTS = `
  SELECT recipient, extract(epoch FROM free_at)::float8 * 1000 AS free_at
  FROM dispatch_recipients
  WHERE provider = $1 AND sender = $2 AND recipient = ANY ($3::varchar[]) AND free_at > to_timestamp($4::float8 / 1000)`;

/**
 * Saves what a claim booked: the lane's next free slot, and the booked recipients' new free times. It
 * also deletes up to $7 entries whose time has passed (not those being written: one row is not changed
 * twice in a statement), so the table holds about one interval's recipients, not every recipient ever.
 */
const SAVE_BOOKINGS = `
  WITH lane AS (
    UPDATE dispatch_lanes SET next_slot_at = to_timestamp($3::float8 / 1000) WHERE provider = $1 AND sender = $2
  ), expired AS (
    DELETE FROM dispatch_recipients
    WHERE ctid = ANY (ARRAY(
      SELECT ctid FROM dispatch_recipients
      WHERE provider = $1 AND sender = $2 AND free_at <= to_timestamp($6::float8 / 1000)
        AND recipient <> ALL ($4::varchar[])
      LIMIT $7))
  )
  INSERT INTO dispatch_recipients (provider, sender, recipient, free_at)
  SELECT $1, $2, recipient, to_timestamp(free_at / 1000) FROM unnest($4::varchar[], $5::float8[]) AS b(recipient, free_at)
  ON CONFLICT (provider, sender, recipient) DO UPDATE SET free_at = EXCLUDED.free_at`;

/** A lane held for one claim: its state as the previous claim left it, and how to save the next. */
export interface HeldLane {
  /** The transaction the claim runs in, so that the claimed rows and the booked slots commit together. */
  readonly manager: EntityManager;
  /** The lane's next free send slot (ms, database clock). */
  readonly nextSlot: number;
  /** Those of `recipients` still inside their interval at `now`, with the time each is free again. */
  busyRecipients(recipients: readonly string[], now: number): Promise<Map<string, number>>;
  /** Books: the next free slot, and when each booked recipient is free again. */
  save(nextSlot: number, recipientsFreeAt: ReadonlyMap<string, number>, now: number): Promise<void>;
}

/** The pacing state the workers share, per lane (dispatch_lanes, dispatch_recipients). */
@Injectable()
export class PacingRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Runs `work` in a transaction that holds the lane: no other claim of the lane runs meanwhile. */
  async withLane<T>(lane: Lane, work: (held: HeldLane) => Promise<T>): Promise<T> {
    const key = [lane.provider, laneSender(lane)];
    return this.dataSource.transaction(async (manager) => {
      let [row] = await queryRows<{ next_slot: number }>(manager, LOCK_LANE, key);
      if (!row) {
        await queryRows(manager, ADD_LANE, key);
        [row] = await queryRows<{ next_slot: number }>(manager, LOCK_LANE, key);
      }
      return work({
        manager,
        nextSlot: row.next_slot,
        busyRecipients: async (recipients, now) => {
          const rows = await queryRows<{ recipient: string; free_at: number }>(manager, BUSY_RECIPIENTS, [
            ...key,
            recipients,
            now,
          ]);
          return new Map(rows.map((r) => [r.recipient, r.free_at]));
        },
        save: async (nextSlot, recipientsFreeAt, now) => {
          await queryRows(manager, SAVE_BOOKINGS, [
            ...key,
            nextSlot,
            [...recipientsFreeAt.keys()],
            [...recipientsFreeAt.values()],
            now,
            2 * recipientsFreeAt.size + 10,
          ]);
        },
      });
    });
  }
}
