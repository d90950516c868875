/**
 * npm run bench:retention — what retention costs, against PostgreSQL (DATABASE_URL).
 *
 * 1. dispatch: 1 worker dispatching BENCH_DISPATCH_MESSAGES due messages, with and without retention
 *    removing BENCH_EXPIRED_ROWS backdated expired messages (each with one attempt) at the same time; the
 *    ratio of the two rates. Runs alternate (without, with) BENCH_RUNS times, each from a copy of one template.
 * 2. soak: messages inserted at a constant rate (BENCH_SOAK_RATE a second, straight into the table, as the
 *    API would), 1 worker sending them with MESSAGE_RETENTION=BENCH_SOAK_RETENTION, for BENCH_SOAK_SECONDS;
 *    the messages table's size (heap + indexes + toast) sampled every 10 s.
 *    Where the server's autovacuum is off, the soak vacuums the two tables every 30 s itself.
 * 3. dedup: the size of dedup_records (table and indexes) holding 1,000,000 records.
 *
 * The service is configured as npm run bench configures it (instant emulators, pacing off, batch 1000,
 * concurrency 200, heap capped at 192 MB). Databases are named bench_retention_*. BENCH_ONLY=dispatch,soak,dedup
 * runs a part; BENCH_REUSE_TEMPLATE=1 reuses the expired-rows template of an earlier run. Writes bench-results/retention.json.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from 'pg';
import type { Env, Service } from './service';
import {
  freshDatabase as freshDatabaseOn,
  IMAGE_NODE_OPTIONS,
  perMessenger,
  ROOT,
  startService as startProcess,
  stop,
  until as untilWithin,
} from './service';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const DISPATCH_MESSAGES = Number(process.env.BENCH_DISPATCH_MESSAGES ?? 100_000);
const EXPIRED_ROWS = Number(process.env.BENCH_EXPIRED_ROWS ?? 1_000_000);
const SOAK_RATE = Number(process.env.BENCH_SOAK_RATE ?? 500);
const SOAK_SECONDS = Number(process.env.BENCH_SOAK_SECONDS ?? 600);
const SOAK_RETENTION = process.env.BENCH_SOAK_RETENTION ?? '60s';
const ONLY = process.env.BENCH_ONLY?.split(',');
const wanted = (part: string) => !ONLY || ONLY.includes(part);
const log = (line: string) => console.log(`[bench:retention ${new Date().toISOString().slice(11, 19)}] ${line}`);

const SERVICE_ENV = {
  NODE_ENV: 'production',
  NODE_OPTIONS: IMAGE_NODE_OPTIONS,
  API_KEYS: 'bench:bench-secret-0123456789abcdef',
  LOG_FORMAT: 'json',
  DISPATCH_PACING: 'off',
  DISPATCH_BATCH_SIZE: '1000',
  DISPATCH_CONCURRENCY: '200',
  DISPATCH_LEASE_SECONDS: '120',
  DISPATCH_CRON: '* * * * * *',
  EMULATOR_LATENCY_MS: '0',
  EMULATOR_FAILURE_RATE: '0',
  EMULATOR_RATE_LIMITED_RATE: '0',
  EMULATOR_PERMANENT_RATE: '0',
  EMULATOR_INBOX: 'off',
  ...perMessenger('EMULATOR', () => 'limit=0,recipient_interval_ms=0'),
};

const startService = (env: Env): Service => startProcess(SERVICE_ENV, env);
const until = (what: string, check: () => Promise<boolean>, timeoutMs = 300_000) => untilWithin(what, check, timeoutMs);

const one = async <T>(db: Client, sql: string, params?: unknown[]): Promise<T> =>
  Object.values((await db.query(sql, params)).rows[0] as Record<string, unknown>)[0] as T;

const freshDatabase = (serverUrl: string, name: string, template?: string) =>
  freshDatabaseOn(serverUrl, name, { template });

/**
 * `count` messages straight into the table, in `status`, with their dedup keys as the API writes them;
 * finished ones finished `finishedAgo` ago.
 */
async function insertMessages(db: Client, count: number, status: string, finishedAgo = '0s', tag = String(Date.now())) {
  for (let done = 0; done < count; done += 100_000) {
    const n = Math.min(100_000, count - done);
    await db.query(
      `WITH m AS (
         INSERT INTO messages (provider, recipient, body, body_hash, status, send_at, next_attempt_at, sent_at, attempts, updated_at)
         SELECT (ARRAY['telegram','whatsapp','viber'])[1 + i % 3], (100000000 + i)::text, 'bench ' || $3 || ' ' || i,
                sha256(convert_to('bench ' || $3 || ' ' || i, 'UTF8')), $2::varchar, now(),
                CASE WHEN $2::varchar = 'pending' THEN now() END, CASE WHEN $2::varchar = 'sent' THEN now() END,
                CASE WHEN $2::varchar = 'sent' THEN 1 ELSE 0 END, now() - $5::interval
         FROM generate_series($1::int, $1::int + $4::int - 1) AS i
         RETURNING client, provider, recipient, body_hash, id)
       INSERT INTO message_keys (client, provider, recipient, body_hash, message_id)
       SELECT client, provider, recipient, body_hash, id FROM m`,
      [done, status, tag, n, finishedAgo],
    );
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

/** A template with EXPIRED_ROWS sent messages finished two days ago, each with its attempt. */
async function expiredTemplate(serverUrl: string): Promise<string> {
  const name = 'bench_retention_expired';
  if (process.env.BENCH_REUSE_TEMPLATE) return name;
  const { db } = await freshDatabase(serverUrl, name);
  log(`template: ${EXPIRED_ROWS} expired sent messages with their attempts`);
  await insertMessages(db, EXPIRED_ROWS, 'sent', '2 days', 'expired');
  await db.query(
    `INSERT INTO message_attempts (message_id, attempt, outcome, started_at, latency_ms) SELECT id, 1, 'sent', sent_at, 0 FROM messages`,
  );
  await db.query('VACUUM ANALYZE');
  await db.end();
  return name;
}

interface DispatchFigures {
  perSecond: number;
  /** Expired rows retention removed while the dispatch ran. */
  removedMeanwhile: number;
}

async function dispatchRun(serverUrl: string, template: string, retention: boolean): Promise<DispatchFigures> {
  const { url, db } = await freshDatabase(serverUrl, 'bench_retention_dispatch', template);
  try {
    const expired = `SELECT count(*)::int FROM messages WHERE status = 'sent' AND updated_at < now() - interval '1 day'`;
    const worker = startService({
      DATABASE_URL: url,
      APP_ROLE: 'worker',
      ...(retention ? { MESSAGE_RETENTION: '1d', RETENTION_INTERVAL: '1s' } : {}),
    });
    try {
      if (retention) await until('retention is removing', async () => (await one<number>(db, expired)) < EXPIRED_ROWS);
      else await sleep(1500);
      const expiredBefore = await one<number>(db, expired);
      await insertMessages(db, DISPATCH_MESSAGES, 'pending');
      await until('the queue is drained', async () =>
        one<boolean>(db, `SELECT NOT EXISTS (SELECT 1 FROM messages WHERE status IN ('pending', 'sending'))`),
      );
      const expiredAfter = await one<number>(db, expired);
      const seconds = await one<number>(
        db,
        `SELECT extract(epoch FROM max(m.sent_at) - min(a.started_at))::float8
         FROM messages m JOIN message_attempts a ON a.message_id = m.id
         WHERE m.status = 'sent' AND m.updated_at > now() - interval '1 day' AND a.attempt = 1`,
      );
      const sent = await one<number>(
        db,
        `SELECT count(*)::int FROM messages WHERE status = 'sent' AND updated_at > now() - interval '1 day'`,
      );
      if (sent !== DISPATCH_MESSAGES) throw new Error(`bench: ${sent} of ${DISPATCH_MESSAGES} messages were sent`);
      if (retention && expiredAfter === 0) log('warning: retention finished before the dispatch did');
      return { perSecond: Math.round(DISPATCH_MESSAGES / seconds), removedMeanwhile: expiredBefore - expiredAfter };
    } finally {
      await stop(worker);
    }
  } finally {
    await db.end();
  }
}

interface SoakSample {
  second: number;
  rows: number;
  bytes: number;
}

async function soakRun(serverUrl: string): Promise<SoakSample[]> {
  const { url, db } = await freshDatabase(serverUrl, 'bench_retention_soak');
  const worker = startService({
    DATABASE_URL: url,
    APP_ROLE: 'worker',
    MESSAGE_RETENTION: SOAK_RETENTION,
    RETENTION_INTERVAL: '5s',
  });
  const samples: SoakSample[] = [];
  try {
    const autovacuum = (await one<string>(db, 'SHOW autovacuum')) === 'on';
    if (!autovacuum) log('autovacuum is off on this server: the soak runs VACUUM itself every 30 s');
    let lastVacuum = Date.now();
    const started = Date.now();
    let inserted = 0;
    let nextSample = 0;
    for (let tick = 0; Date.now() - started < SOAK_SECONDS * 1000; tick++) {
      // A tenth of a second's worth every 100 ms, on a schedule that catches up rather than drifts.
      const due = Math.floor(((Date.now() - started) / 1000) * SOAK_RATE);
      if (due > inserted) {
        await insertMessages(db, due - inserted, 'pending', '0s', `soak-${tick}`);
        inserted = due;
      }
      // On a server whose autovacuum is off (test servers often are), vacuum as autovacuum would: deleted
      // rows' space is reused only once vacuumed, and the soak measures retention, not the server's setup.
      if (!autovacuum && Date.now() - lastVacuum > 30_000) {
        await db.query('VACUUM messages, message_attempts, message_keys');
        lastVacuum = Date.now();
      }
      const second = Math.floor((Date.now() - started) / 1000);
      if (second >= nextSample) {
        const rows = await one<number>(db, `SELECT count(*)::int FROM messages`);
        const bytes = Number(await one<string>(db, `SELECT pg_total_relation_size('messages')`));
        samples.push({ second, rows, bytes });
        log(`soak ${second} s: ${rows} rows, ${(bytes / 2 ** 20).toFixed(1)} MiB`);
        nextSample += 10;
      }
      await sleep(100);
    }
    return samples;
  } finally {
    await stop(worker);
    await db.end();
  }
}

/** 1,000,000 dedup records as retention writes them: the table's and its indexes' size. */
async function dedupSize(serverUrl: string) {
  const { db } = await freshDatabase(serverUrl, 'bench_retention_dedup');
  try {
    await db.query(
      `INSERT INTO dedup_records (message_id, send_at, created_at, finished_at, attempts, retries_count, client, provider, recipient, body_hash, status)
       SELECT gen_random_uuid(), now(), now(), now() - i * interval '1 ms', 1, 0, 'client-' || (i % 20),
              (ARRAY['telegram','whatsapp','viber'])[1 + i % 3], '+4915' || (100000000 + i)::text,
              sha256(convert_to('body ' || i, 'UTF8')), 'sent'
       FROM generate_series(1, 1000000) AS i`,
    );
    await db.query('VACUUM ANALYZE dedup_records');
    const sizes = (
      await db.query(
        `SELECT pg_relation_size('dedup_records')::bigint AS heap,
                pg_relation_size('"PK_dedup_records"')::bigint AS primary_key,
                pg_relation_size('dedup_records_finished_idx')::bigint AS finished_idx,
                pg_total_relation_size('dedup_records')::bigint AS total`,
      )
    ).rows[0] as Record<string, string>;
    return Object.fromEntries(Object.entries(sizes).map(([k, v]) => [k, Math.round((Number(v) / 2 ** 20) * 10) / 10]));
  } finally {
    await db.end();
  }
}

async function main() {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl)
    throw new Error('bench:retention needs DATABASE_URL (a PostgreSQL server it may create databases on)');
  const results: Record<string, unknown> = {};
  if (wanted('dedup')) {
    results.dedupMiBPerMillion = await dedupSize(serverUrl);
    log(`dedup records, 1,000,000: ${JSON.stringify(results.dedupMiBPerMillion)} MiB`);
  }
  if (wanted('dispatch')) {
    const template = await expiredTemplate(serverUrl);
    const without: number[] = [];
    const withRetention: number[] = [];
    const removed: number[] = [];
    for (let run = 1; run <= RUNS; run++) {
      const plain = await dispatchRun(serverUrl, template, false);
      without.push(plain.perSecond);
      log(`run ${run}: without retention ${plain.perSecond} msg/s`);
      const retained = await dispatchRun(serverUrl, template, true);
      withRetention.push(retained.perSecond);
      removed.push(retained.removedMeanwhile);
      log(
        `run ${run}: with retention ${retained.perSecond} msg/s, ${retained.removedMeanwhile} expired rows removed meanwhile`,
      );
    }
    const ratios = withRetention.map((rate, i) => rate / without[i]);
    results.dispatch = { without, withRetention, removedMeanwhile: removed, ratios, medianRatio: median(ratios) };
    log(
      `dispatch: without ${median(without)} msg/s (${Math.min(...without)}–${Math.max(...without)}), ` +
        `with retention ${median(withRetention)} msg/s (${Math.min(...withRetention)}–${Math.max(...withRetention)}), ` +
        `ratio median ${median(ratios).toFixed(2)} (${Math.min(...ratios).toFixed(2)}–${Math.max(...ratios).toFixed(2)})`,
    );
  }
  if (wanted('soak')) {
    const samples = await soakRun(serverUrl);
    // Steady once retention has had a full retention period and a run to catch up: from twice the retention on.
    const retentionSeconds = Number(/^(\d+)s$/.exec(SOAK_RETENTION)?.[1] ?? 60);
    const steady = samples.filter((s) => s.second >= 2 * retentionSeconds);
    const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
    const spread = (xs: number[]) => ({
      mean: Math.round(mean(xs)),
      minPct: Math.round(((Math.min(...xs) - mean(xs)) / mean(xs)) * 1000) / 10,
      maxPct: Math.round(((Math.max(...xs) - mean(xs)) / mean(xs)) * 1000) / 10,
    });
    results.soak = {
      rate: SOAK_RATE,
      seconds: SOAK_SECONDS,
      retention: SOAK_RETENTION,
      samples,
      steadyFrom: 2 * retentionSeconds,
      rows: spread(steady.map((s) => s.rows)),
      bytes: spread(steady.map((s) => s.bytes)),
    };
    log(
      `soak, steady: ${JSON.stringify({ rows: results.soak && (results.soak as { rows: unknown }).rows, bytes: (results.soak as { bytes: unknown }).bytes })}`,
    );
  }
  mkdirSync(join(ROOT, 'bench-results'), { recursive: true });
  writeFileSync(join(ROOT, 'bench-results/retention.json'), JSON.stringify(results, null, 2));
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
