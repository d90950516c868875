import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { queryRows } from '../database/raw-sql';

/** A paused sender account, as every worker sees it. */
export interface PausedSender {
  readonly name: string;
  readonly code: string | null;
  readonly nextProbeAt: Date;
}

/** Which of the named accounts are paused. A handful of rows at most: the table holds one per account. */
const PAUSED_AMONG = `
  SELECT name, last_error_code, next_probe_at FROM sender_accounts_state WHERE paused AND name = ANY ($1::varchar[])`;

/**
 * Pauses an account: its first probe may go one interval from now. Answers whether it was running until now, so
 * that of several workers meeting the refusal at once, one logs the pause. The CTE reads the row as it was
 * before this statement.
 */
const PAUSE = `
  WITH before AS (SELECT paused FROM sender_accounts_state WHERE name = $1)
  INSERT INTO sender_accounts_state (name, paused, last_error_code, next_probe_at, updated_at)
  VALUES ($1, true, $2, now() + $3 * interval '1 millisecond', now())
  ON CONFLICT (name) DO UPDATE
    SET paused = true, last_error_code = EXCLUDED.last_error_code,
        next_probe_at = CASE WHEN sender_accounts_state.paused THEN sender_accounts_state.next_probe_at
                             ELSE EXCLUDED.next_probe_at END,
        updated_at = now()
  RETURNING NOT COALESCE((SELECT paused FROM before), false) AS newly_paused`;

/**
 * Takes the account's probe if one is due: the row lock makes this one statement decide between workers, and
 * moving next_probe_at an interval ahead keeps the next probe from going before then, whatever this one's fate.
 */
const TAKE_PROBE = `
  UPDATE sender_accounts_state SET next_probe_at = now() + $2 * interval '1 millisecond', updated_at = now()
  WHERE name = $1 AND paused AND next_probe_at <= now()
  RETURNING name`;

/** Resumes a paused account; answers whether it was paused (so one worker logs the resumption). */
const RESUME = `
  UPDATE sender_accounts_state SET paused = false, last_error_code = NULL, next_probe_at = NULL, updated_at = now()
  WHERE name = $1 AND paused
  RETURNING name`;

/** sender_accounts_state: which sender accounts are paused because their messenger refused their credentials. */
@Injectable()
export class SenderStateRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  async pausedAmong(names: readonly string[]): Promise<PausedSender[]> {
    const rows = await queryRows<{ name: string; last_error_code: string | null; next_probe_at: Date }>(
      this.dataSource.manager,
      PAUSED_AMONG,
      [names],
    );
    return rows.map((row) => ({ name: row.name, code: row.last_error_code, nextProbeAt: row.next_probe_at }));
  }

  /** Returns true when the account was running until now. */
  async pause(name: string, code: string, probeIntervalMs: number): Promise<boolean> {
    const [row] = await queryRows<{ newly_paused: boolean }>(this.dataSource.manager, PAUSE, [
      name,
      code.slice(0, 32),
      probeIntervalMs,
    ]);
    return row?.newly_paused ?? false;
  }

  /** Returns true when this caller holds the account's probe: it may send one message. */
  async takeProbe(name: string, probeIntervalMs: number): Promise<boolean> {
    const rows = await queryRows(this.dataSource.manager, TAKE_PROBE, [name, probeIntervalMs]);
    return rows.length > 0;
  }

  /** Returns true when the account was paused until now. */
  async resume(name: string): Promise<boolean> {
    const rows = await queryRows(this.dataSource.manager, RESUME, [name]);
    return rows.length > 0;
  }
}
