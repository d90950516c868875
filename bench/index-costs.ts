/**
 * npm run bench:indexes — what each index on `messages` costs the dispatcher's two writes, against PostgreSQL
 * (DATABASE_URL).
 *
 * The claim (DISPATCH_SQL.claimDue, as the service runs it) and a mark-sent UPDATE of the claimed rows, in
 * batches of 1,000, on one connection, over 100,000 due rows: once with every index, then with one index
 * dropped at a time, then with only the primary key and the due index left. Each claim and each mark is an
 * update that is never HOT (they change `status` and `next_attempt_at`), so every index gets a new entry for
 * every row, twice: what an index costs here is what removing it, or keeping it out of those updates, would
 * save. Reports rows/s and the PostgreSQL backend's CPU per row (from /proc: same machine), medians of
 * BENCH_RUNS (3). Writes bench-results/index-costs.json.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DISPATCH_SQL } from '../src/dispatch/dispatch.repository';
import { freshDatabase, onServer, ROOT } from './service';

const SERVER_URL = process.env.DATABASE_URL;
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const ROWS = 100_000;
const BATCH = 1_000;
const SECONDARY = [
  'messages_recipient_queue_idx',
  'messages_created_idx',
  'messages_finished_idx',
  'messages_due_lane_idx',
];
const VARIANTS: readonly (readonly [string, readonly string[]])[] = [
  ['every index', []],
  ...SECONDARY.map((index) => [`without ${index}`, [index]] as const),
  ['only the primary key and messages_due_idx', SECONDARY],
];

/** CPU time of a PostgreSQL backend so far, in ms (utime + stime, 10 ms ticks). */
function backendCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

async function measure(
  serverUrl: string,
  template: string,
  drop: readonly string[],
): Promise<{ rowsPerS: number; cpuUsPerRow: number }> {
  const name = `${template}_copy`;
  const { db } = await freshDatabase(serverUrl, name, { template });
  try {
    for (const index of drop) await db.query(`DROP INDEX "${index}"`);
    await db.query(
      `INSERT INTO messages (provider, recipient, body, body_hash, status, send_at, next_attempt_at)
       SELECT 'telegram', (100000000 + i)::text, 'bench ' || i, sha256(convert_to('bench ' || i, 'UTF8')),
              'pending', now(), now()
       FROM generate_series(1, $1::int) AS i`,
      [ROWS],
    );
    await db.query('VACUUM ANALYZE messages');
    await db.query('CHECKPOINT');
    const pid = Number((await db.query('SELECT pg_backend_pid() AS pid')).rows[0].pid);
    const started = performance.now();
    const cpuBefore = backendCpuMs(pid);
    let done = 0;
    for (;;) {
      const { rows } = await db.query<{ id: string }>(DISPATCH_SQL.claimDue, ['telegram', BATCH, 60]);
      if (rows.length === 0) break;
      await db.query(
        `UPDATE messages SET status = 'sent', sent_at = now(), updated_at = now(), locked_until = NULL,
                next_attempt_at = NULL, provider_message_id = 'p'
         WHERE id = ANY ($1::uuid[])`,
        [rows.map((row) => row.id)],
      );
      done += rows.length;
    }
    const ms = performance.now() - started;
    return { rowsPerS: Math.round((done / ms) * 1000), cpuUsPerRow: ((backendCpuMs(pid) - cpuBefore) * 1000) / done };
  } finally {
    await db.end();
    await onServer(serverUrl, (admin) => admin.query(`DROP DATABASE "${name}" WITH (FORCE)`));
  }
}

async function main(): Promise<void> {
  if (!SERVER_URL) throw new Error('DATABASE_URL names the PostgreSQL server to measure on');
  const template = `bench_indexes_${process.pid}`;
  await (await freshDatabase(SERVER_URL, template)).db.end();
  const samples = new Map<string, { rowsPerS: number; cpuUsPerRow: number }[]>();
  try {
    for (let run = 0; run < RUNS; run++) {
      for (const [name, drop] of VARIANTS) {
        const sample = await measure(SERVER_URL, template, drop);
        console.log(`[bench:indexes] run ${run + 1}: ${name}: ${JSON.stringify(sample)}`);
        samples.set(name, [...(samples.get(name) ?? []), sample]);
      }
    }
  } finally {
    await onServer(SERVER_URL, (admin) => admin.query(`DROP DATABASE IF EXISTS "${template}" WITH (FORCE)`));
  }
  const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
  const table = [...samples].map(([what, runs]) => ({
    what,
    'rows/s': median(runs.map((r) => r.rowsPerS)),
    'PostgreSQL CPU µs/row': Number(median(runs.map((r) => r.cpuUsPerRow)).toFixed(1)),
  }));
  console.table(table);
  mkdirSync(join(ROOT, 'bench-results'), { recursive: true });
  writeFileSync(
    join(ROOT, 'bench-results', 'index-costs.json'),
    JSON.stringify({ at: new Date().toISOString(), runs: RUNS, table }, null, 2),
  );
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
