import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { performance } from 'node:perf_hooks';
import { DataSource } from 'typeorm';
import { queryRows } from './raw-sql';

const READ_CLOCK = `SELECT extract(epoch FROM clock_timestamp())::float8 * 1000 AS now`;

/** How often the offset is measured again (clocks drift a little; NTP steps them now and then). */
const REMEASURE_MS = 60_000;
const SAMPLES = 3;

/**
 * The database server's clock, read from this process. State that workers share by time (the lanes'
 * send slots) is kept in it, so workers on machines whose clocks disagree still keep the same slots.
 * The offset to the local clock is taken from the quickest of a few round trips, whose error is at most
 * half that round trip; of the offsets the measurement allows, the one nearest 0 is taken, so that on
 * machines whose clocks agree (one machine, or NTP within a millisecond) no error is added.
 */
@Injectable()
export class DatabaseClock {
  private offsetMs = 0;
  private measuredAt = -Infinity;

  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /** Measures the offset when it is missing or a minute old. */
  async sync(): Promise<void> {
    if (performance.now() - this.measuredAt < REMEASURE_MS) return;
    let best = { roundTripMs: Infinity, offsetMs: 0 };
    for (let i = 0; i < SAMPLES; i++) {
      const sentAt = Date.now();
      const started = performance.now();
      const [{ now }] = await queryRows<{ now: number }>(this.dataSource.manager, READ_CLOCK, []);
      const roundTripMs = performance.now() - started;
      if (roundTripMs < best.roundTripMs) best = { roundTripMs, offsetMs: now - (sentAt + roundTripMs / 2) };
    }
    const error = best.roundTripMs / 2;
    this.offsetMs = Math.sign(best.offsetMs) * Math.max(0, Math.abs(best.offsetMs) - error);
    this.measuredAt = performance.now();
  }

  /** Now, in ms since the epoch on the database's clock (as of the last sync). */
  now(): number {
    return Date.now() + this.offsetMs;
  }

  /** A time on the database's clock, on this process's clock. */
  toLocal(databaseMs: number): number {
    return databaseMs - this.offsetMs;
  }
}
