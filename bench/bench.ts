/**
 * npm run bench — throughput and latency, against PostgreSQL (DATABASE_URL, else an embedded one).
 *
 * The service runs as real processes (`node dist/main.js`) with the emulators at zero latency, zero
 * failures, no limits and no inbox, so what is measured is the service. Each figure is the median of
 * BENCH_RUNS runs (default 3), with min and max, and the ceilings (bare SQL, no Nest) are measured in
 * the same run so every figure can be read as a ratio. Prints a table, writes bench-results/bench.json.
 */
import autocannon from 'autocannon';
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { startEmbeddedPostgres } from '../src/database/embedded-postgres';
import { migrations } from '../src/database/migrations';
import { maximalRequest, percentile, probeEvery, sendAtOnce } from '../test/support/burst-traffic';
import type { CallbackReceiver } from './chaos-callbacks';
import { startCallbackReceiver } from './chaos-callbacks';

const ROOT = resolve(__dirname, '..');
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const DISPATCH_MESSAGES = Number(process.env.BENCH_DISPATCH_MESSAGES ?? 100_000);
const FINISHED_ROWS = Number(process.env.BENCH_FINISHED_ROWS ?? 1_000_000);
/** BENCH_ONLY=dispatch,ingestion… runs a part (for profiling); the table then has only its rows. */
const ONLY = process.env.BENCH_ONLY?.split(',');
const wanted = (part: string) => !ONLY || ONLY.includes(part);
// Parts: ceilings, dispatch, scale, callbacks, ingestion, bulk, latency, overload.
const log = (line: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}`);

/** The service with everything but itself taken out: instant, always-accepting, unlimited messengers. */
const BENCH_KEY = 'bench-secret-0123456789abcdef';
const SERVICE_ENV = {
  NODE_ENV: 'production',
  // As the image runs it (Dockerfile).
  NODE_OPTIONS: '--max-old-space-size=192',
  API_KEYS: `bench:${BENCH_KEY}`,
  // One client sends everything here: the per-client limit would answer most of it 429.
  API_RATE_LIMIT_PER_SECOND: '0',
  LOG_FORMAT: 'json',
  DISPATCH_PACING: 'off',
  DISPATCH_BATCH_SIZE: '1000',
  DISPATCH_CONCURRENCY: '200',
  DISPATCH_LEASE_SECONDS: '120',
  DISPATCH_SEND_TIMEOUT_MS: '10000',
  EMULATOR_LATENCY_MS: '0',
  EMULATOR_FAILURE_RATE: '0',
  EMULATOR_RATE_LIMITED_RATE: '0',
  EMULATOR_PERMANENT_RATE: '0',
  EMULATOR_INBOX: 'off',
  EMULATOR_TELEGRAM: 'limit=0,recipient_interval_ms=0',
  EMULATOR_WHATSAPP: 'limit=0,recipient_interval_ms=0',
  EMULATOR_VIBER: 'limit=0,recipient_interval_ms=0',
};

interface Service {
  child: ChildProcess;
  exited: Promise<unknown>;
}

function startService(env: Record<string, string>): Service {
  // BENCH_NODE_FLAGS="--cpu-prof --cpu-prof-dir=bench-results/profiles" profiles the service processes.
  const flags = process.env.BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(process.execPath, [...flags, join(ROOT, 'dist/main.js')], {
    cwd: ROOT,
    env: { PATH: process.env.PATH, ...SERVICE_ENV, ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  return { child, exited: once(child, 'exit') };
}

/** Peak resident memory of a process so far, in MB (Linux). */
function peakRssMb(pid: number): number {
  const match = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Math.round(Number(match[1]) / 1024) : NaN;
}

/** CPU time a process has used so far (user + system), in ms (Linux; clock ticks of 10 ms). */
function cpuMs(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return 0; // gone already
  }
}

/** The CPU time of the database's client backends (the service's connections), by pid. */
async function backendCpuMs(db: Client): Promise<Map<number, number>> {
  const { rows } = await db.query(
    `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND backend_type = 'client backend' AND pid <> pg_backend_pid()`,
  );
  return new Map(rows.map((r: { pid: number }) => [r.pid, cpuMs(r.pid)]));
}

/** CPU the client backends used since `before` (a backend opened meanwhile counts from zero). */
async function backendCpuSince(db: Client, before: Map<number, number>): Promise<number> {
  return [...(await backendCpuMs(db))].reduce((sum, [pid, ms]) => sum + ms - (before.get(pid) ?? 0), 0);
}

async function stop(service: Service): Promise<number> {
  const rss = peakRssMb(service.child.pid!);
  const stopping = Date.now();
  service.child.kill('SIGTERM');
  await service.exited;
  if (Date.now() - stopping > 5_000)
    log(`pid ${service.child.pid} took ${Math.round((Date.now() - stopping) / 1000)} s to stop`);
  return rss;
}

async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  return port;
}

async function until(what: string, check: () => Promise<boolean>, timeoutMs = 120_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`bench: timed out waiting until ${what}`);
    await sleep(50);
  }
}

/** A fresh, migrated database per measurement, so runs never see each other's rows. */
async function freshDatabase(serverUrl: string, name: string, template?: string): Promise<{ url: string; db: Client }> {
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
  await admin.query(`CREATE DATABASE "${name}"${template ? ` TEMPLATE "${template}"` : ''}`);
  await admin.end();
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  if (template) {
    const copy = new Client({ connectionString: url.toString() });
    await copy.connect();
    return { url: url.toString(), db: copy };
  }
  // Let the service migrate it (under its advisory lock), then connect.
  const migrator = startService({ DATABASE_URL: url.toString(), APP_ROLE: 'api', PORT: String(await freePort()) });
  const db = new Client({ connectionString: url.toString() });
  await db.connect();
  await until(
    'the schema exists',
    async () => (await db.query(`SELECT to_regclass('message_attempts') AS t`)).rows[0].t !== null,
  );
  await until(
    'migrations are done',
    async () => (await db.query(`SELECT count(*)::int AS n FROM migrations`)).rows[0].n >= migrations.length,
  );
  await stop(migrator);
  return { url: url.toString(), db };
}

/** Due messages straight into the table: the dispatcher's input, without the API in the way. */
async function insertDue(
  db: Client,
  count: number,
  status = 'pending',
  callbackUrl: string | null = null,
): Promise<void> {
  for (let done = 0; done < count; done += 100_000) {
    const n = Math.min(100_000, count - done);
    await db.query(
      `INSERT INTO messages (provider, recipient, body, body_hash, status, send_at, next_attempt_at, sent_at, callback_url)
       SELECT (ARRAY['telegram','whatsapp','viber'])[1 + i % 3], (100000000 + i)::text, 'bench ' || $3 || ' ' || i,
              sha256(convert_to('bench ' || $3 || ' ' || i, 'UTF8')), $2::varchar, now(),
              CASE WHEN $2::varchar = 'pending' THEN now() END, CASE WHEN $2::varchar = 'sent' THEN now() END, $5::text
       FROM generate_series($1::int, $1::int + $4::int - 1) AS i`,
      [done, status, `${status}-${Date.now()}`, n, callbackUrl],
    );
  }
}

interface DispatchFigures {
  perSecond: number;
  rssMb: number;
  /** CPU per message of the worker processes and of their PostgreSQL backends, in µs: where the time goes. */
  workerCpuUs: number;
  databaseCpuUs: number;
  /** With callbacks: events delivered a second, from the first attempt of a message to the last delivery. */
  callbacksPerSecond?: number;
}

let history: Promise<string> | undefined;
/**
 * A migrated database holding `finished` sent messages, vacuumed and analysed, made once per bench: each
 * run starts from a copy (CREATE DATABASE … TEMPLATE copies files), not from another million INSERTs.
 */
function historyTemplate(serverUrl: string, finished: number): Promise<string> {
  history ??= (async () => {
    const { db } = await freshDatabase(serverUrl, 'bench_history');
    await insertDue(db, finished, 'sent');
    await db.query('VACUUM ANALYZE messages');
    await db.end();
    return 'bench_history';
  })();
  return history;
}

/** `callbacks`: every message has a callback_url, to a receiver that answers 204 at once. */
async function dispatchRun(
  serverUrl: string,
  workers: number,
  finished: number,
  callbacks?: CallbackReceiver,
): Promise<DispatchFigures> {
  const template = finished > 0 ? await historyTemplate(serverUrl, finished) : undefined;
  const { url, db } = await freshDatabase(serverUrl, `bench_dispatch`, template);
  try {
    const services = Array.from({ length: workers }, () =>
      startService({
        DATABASE_URL: url,
        APP_ROLE: 'worker',
        DISPATCH_CRON: '* * * * * *',
        ...(callbacks && { ...callbacks.env, CALLBACK_BATCH_SIZE: '200' }),
      }),
    );
    await sleep(1500); // start-up: measured from the first attempt on, so this only has to be long enough
    const cpuBefore = services.reduce((sum, s) => sum + cpuMs(s.child.pid!), 0);
    const backendsBefore = await backendCpuMs(db);
    await insertDue(db, DISPATCH_MESSAGES, 'pending', callbacks?.url ?? null);
    // Polled through the partial due index: a count over the table would itself be a scan of 100,000 to
    // 1,100,000 rows every poll, taking CPU from the workers it measures.
    await until(
      'the queue is drained',
      async () =>
        (await db.query(`SELECT NOT EXISTS (SELECT 1 FROM messages WHERE status IN ('pending', 'sending')) AS drained`))
          .rows[0].drained,
    );
    const {
      rows: [{ sent }],
    } = await db.query(`SELECT count(*)::int AS sent FROM messages WHERE status = 'sent' AND attempts > 0`);
    if (sent !== DISPATCH_MESSAGES) throw new Error(`bench: ${sent} of ${DISPATCH_MESSAGES} messages were sent`);
    let callbacksPerSecond: number | undefined;
    if (callbacks) {
      await until(
        'every callback is delivered',
        async () =>
          (await db.query(`SELECT NOT EXISTS (SELECT 1 FROM callback_events WHERE state = 'pending') AS done`)).rows[0]
            .done,
      );
      const { rows: timed } = await db.query(
        `SELECT extract(epoch FROM (SELECT max(attempted_at) FROM callback_attempts) - min(started_at)) AS seconds
         FROM message_attempts WHERE attempt = 1`,
      );
      callbacksPerSecond = Math.round(DISPATCH_MESSAGES / Number(timed[0].seconds));
    }
    const workerCpu = services.reduce((sum, s) => sum + cpuMs(s.child.pid!), 0) - cpuBefore;
    const databaseCpu = await backendCpuSince(db, backendsBefore);
    const { rows } = await db.query(
      `SELECT extract(epoch FROM max(m.sent_at) - min(a.started_at)) AS seconds
       FROM messages m JOIN message_attempts a ON a.message_id = m.id WHERE m.status = 'sent' AND m.next_attempt_at IS NULL AND a.attempt = 1`,
    );
    const rss = Math.max(...(await Promise.all(services.map(stop))));
    return {
      perSecond: Math.round(DISPATCH_MESSAGES / Number(rows[0].seconds)),
      rssMb: rss,
      workerCpuUs: Math.round((workerCpu * 1000) / DISPATCH_MESSAGES),
      databaseCpuUs: Math.round((databaseCpu * 1000) / DISPATCH_MESSAGES),
      callbacksPerSecond,
    };
  } finally {
    await db.end();
  }
}

/** The ceiling: the same claim and mark in bare SQL, no Nest, no emulator, `claimers` connections. */
async function bareClaimRun(serverUrl: string, claimers: number): Promise<number> {
  const { url, db } = await freshDatabase(serverUrl, 'bench_bare');
  try {
    await insertDue(db, DISPATCH_MESSAGES);
    const started = Date.now();
    await Promise.all(
      Array.from({ length: claimers }, async () => {
        const c = new Client({ connectionString: url });
        await c.connect();
        // Round the messengers, as the service's drains do, so the claim uses the same partial index.
        for (let empty = 0, turn = 0; empty < 3; turn++) {
          const { rows } = await c.query(
            `UPDATE messages m SET status = 'sending', attempts = m.attempts + 1, locked_until = now() + interval '60 s',
                                   next_attempt_at = now() + interval '60 s'
             FROM (SELECT id FROM messages WHERE provider = $1 AND status IN ('pending','sending') AND next_attempt_at <= now()
                   ORDER BY next_attempt_at LIMIT 1000 FOR UPDATE SKIP LOCKED) due
             WHERE m.id = due.id RETURNING m.id`,
            [['telegram', 'whatsapp', 'viber'][turn % 3]],
          );
          if (rows.length === 0) {
            empty++;
            continue;
          }
          empty = 0;
          await c.query(
            `UPDATE messages SET status = 'sent', sent_at = now(), next_attempt_at = NULL, locked_until = NULL WHERE id = ANY($1)`,
            [rows.map((r) => r.id)],
          );
        }
        await c.end();
      }),
    );
    return Math.round(DISPATCH_MESSAGES / ((Date.now() - started) / 1000));
  } finally {
    await db.end();
  }
}

/** The ceiling for ingestion: 1000-row INSERT statements like the API's, from one connection. */
async function bareInsertRun(serverUrl: string): Promise<number> {
  const { db } = await freshDatabase(serverUrl, 'bench_insert');
  try {
    const rows = 100_000;
    const started = Date.now();
    for (let i = 0; i < rows; i += 1000) {
      const recipients = Array.from({ length: 1000 }, (_, j) => String(100_000_000 + i + j));
      await db.query(
        `INSERT INTO messages (provider, recipient, body, body_hash, send_at, next_attempt_at)
         SELECT 'telegram', r, $2, sha256(convert_to($2, 'UTF8')), now(), now() FROM unnest($1::varchar[]) AS r`,
        [recipients, `insert ceiling ${i}`],
      );
    }
    return Math.round(rows / ((Date.now() - started) / 1000));
  } finally {
    await db.end();
  }
}

interface IngestionFigures {
  requestsPerSecond: number;
  rowsPerSecond: number;
  p50: number;
  p99: number;
  rssMb: number;
  /** CPU per request of the API process and of its PostgreSQL backends, in µs. */
  apiCpuUs: number;
  databaseCpuUs: number;
}

async function ingestionRun(serverUrl: string, recipientsPerRequest: number): Promise<IngestionFigures> {
  const { url, db } = await freshDatabase(serverUrl, 'bench_ingest');
  const port = await freePort();
  const api = startService({ DATABASE_URL: url, APP_ROLE: 'api', PORT: String(port) });
  try {
    await until('the API listens', async () =>
      fetch(`http://127.0.0.1:${port}/docs-json`).then(
        (r) => r.ok,
        () => false,
      ),
    );
    const recipients = Array.from({ length: recipientsPerRequest }, (_, i) => ({
      provider: 'telegram',
      recipient: String(100_000_000 + i),
    }));
    const cpuBefore = cpuMs(api.child.pid!);
    const backendsBefore = await backendCpuMs(db);
    const result = await postMessages(port, { connections: recipientsPerRequest === 1 ? 50 : 4 }, (n) => ({
      body: `bench ${n}`,
      recipients,
    }));
    const apiCpu = cpuMs(api.child.pid!) - cpuBefore;
    const databaseCpu = await backendCpuSince(db, backendsBefore);
    const non2xx = result.non2xx + result.errors;
    if (non2xx > 0) log(`ingestion: ${non2xx} answers were not 2xx`);
    const rssMb = await stop(api);
    return {
      requestsPerSecond: Math.round(result.requests.average),
      rowsPerSecond: Math.round(result.requests.average * recipientsPerRequest),
      p50: result.latency.p50,
      p99: result.latency.p99,
      rssMb,
      apiCpuUs: Math.round((apiCpu * 1000) / result.requests.total),
      databaseCpuUs: Math.round((databaseCpu * 1000) / result.requests.total),
    };
  } finally {
    if (api.child.exitCode === null) await stop(api);
    await db.end();
  }
}

/** 10 seconds of POST /messages from autocannon, each request's body made by `bodyFor(n)`. */
function postMessages(
  port: number,
  load: { connections: number; overallRate?: number },
  bodyFor: (n: number) => object,
) {
  let counter = 0;
  return autocannon({
    url: `http://127.0.0.1:${port}`,
    duration: 10,
    ...load,
    requests: [
      {
        method: 'POST',
        path: '/messages',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${BENCH_KEY}` },
        setupRequest: (request) => ({ ...request, body: JSON.stringify(bodyFor(counter++)) }),
      },
    ],
  });
}

/** Steady 500 messages/s through the API to a separate worker (10-second sweep + wake-ups). */
async function latencyRun(
  serverUrl: string,
): Promise<{ p50: number; p99: number; lateP50: number; lateP99: number; rssMb: number }> {
  const { url, db } = await freshDatabase(serverUrl, 'bench_latency');
  const port = await freePort();
  const api = startService({ DATABASE_URL: url, APP_ROLE: 'api', PORT: String(port) });
  const worker = startService({ DATABASE_URL: url, APP_ROLE: 'worker' });
  try {
    await until('the API listens', async () =>
      fetch(`http://127.0.0.1:${port}/docs-json`).then(
        (r) => r.ok,
        () => false,
      ),
    );
    await sleep(1500);
    // One in five is scheduled two seconds ahead: its lateness past send_at is measured.
    await postMessages(port, { connections: 10, overallRate: 500 }, (n) => ({
      body: `latency ${n}`,
      recipients: [
        {
          provider: ['telegram', 'whatsapp', 'viber'][n % 3],
          recipient: ['100000000', '+4915100000000', 'bench'][n % 3],
        },
      ],
      ...(n % 5 === 0 && { send_at: new Date(Date.now() + 2000).toISOString() }),
    }));
    await until(
      'every message is sent',
      async () =>
        (await db.query(`SELECT NOT EXISTS (SELECT 1 FROM messages WHERE status IN ('pending', 'sending')) AS drained`))
          .rows[0].drained,
      30_000,
    );
    const { rows } = await db.query(`
      SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms) FILTER (WHERE NOT scheduled) AS p50,
             percentile_cont(0.99) WITHIN GROUP (ORDER BY ms) FILTER (WHERE NOT scheduled) AS p99,
             percentile_cont(0.5) WITHIN GROUP (ORDER BY late) FILTER (WHERE scheduled) AS late_p50,
             percentile_cont(0.99) WITHIN GROUP (ORDER BY late) FILTER (WHERE scheduled) AS late_p99
      FROM (SELECT extract(epoch FROM a.started_at - m.created_at) * 1000 AS ms,
                   extract(epoch FROM a.started_at - m.send_at) * 1000 AS late,
                   m.send_at > m.created_at + interval '1 second' AS scheduled
            FROM messages m JOIN message_attempts a ON a.message_id = m.id AND a.attempt = 1) x`);
    const rssMb = Math.max(await stop(worker), await stop(api));
    const r = rows[0];
    return {
      p50: Math.round(r.p50),
      p99: Math.round(r.p99),
      lateP50: Math.round(r.late_p50),
      lateP99: Math.round(r.late_p99),
      rssMb,
    };
  } finally {
    for (const s of [api, worker]) if (s.child.exitCode === null && s.child.signalCode === null) await stop(s);
    await db.end();
  }
}

/**
 * 50 of the largest valid requests at once (~128 KB each) at an API under the image's heap cap, with
 * /health/live probed every 50 ms throughout: how fast probes are answered while the API sheds load.
 */
async function overloadRun(
  serverUrl: string,
): Promise<{ probeP50: number; probeP99: number; accepted: number; refused: number; rssMb: number }> {
  const { url, db } = await freshDatabase(serverUrl, 'bench_overload');
  const port = await freePort();
  const api = startService({ DATABASE_URL: url, APP_ROLE: 'api', PORT: String(port) });
  try {
    await until('the API listens', async () =>
      fetch(`http://127.0.0.1:${port}/health/live`).then(
        (r) => r.ok,
        () => false,
      ),
    );
    const bodies = Array.from({ length: 50 }, (_, n) => maximalRequest(n));
    const probes = probeEvery(`http://127.0.0.1:${port}/health/live`, 50, 2000);
    const answers = await sendAtOnce(
      port,
      bodies,
      bodies.map((_, n) => `bench-overload-${Date.now()}-${n}`),
      { authorization: `Bearer ${BENCH_KEY}` },
    );
    const latencies = await probes.stop();
    const rssMb = await stop(api);
    return {
      probeP50: percentile(latencies, 50),
      probeP99: percentile(latencies, 99),
      accepted: answers.filter((a) => a.status === 202 || a.status === 200).length,
      refused: answers.filter((a) => a.status === 503).length,
      rssMb,
    };
  } finally {
    if (api.child.exitCode === null && api.child.signalCode === null) await stop(api);
    await db.end();
  }
}

function summarize(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)], min: sorted[0], max: sorted[sorted.length - 1] };
}

async function repeat<T>(what: string, run: () => Promise<T>): Promise<T[]> {
  const results: T[] = [];
  for (let i = 1; i <= RUNS; i++) {
    log(`${what}, run ${i}/${RUNS}`);
    results.push(await run());
  }
  return results;
}

async function main() {
  const started = Date.now();
  const embedded = process.env.DATABASE_URL
    ? undefined
    : await startEmbeddedPostgres({
        dir: mkdtempSync(join(tmpdir(), 'bench-pg-')),
        database: 'postgres',
        persistent: false,
      });
  const serverUrl = process.env.DATABASE_URL ?? embedded!.url;
  const { rows } = await (async () => {
    const c = new Client({ connectionString: serverUrl });
    await c.connect();
    const r = await c.query('SHOW server_version');
    await c.end();
    return r;
  })();
  const machine = `${cpus().length} cores (${cpus()[0].model}), ${Math.round(totalmem() / 2 ** 30)} GiB, Node ${process.version}, PostgreSQL ${rows[0].server_version}${embedded ? ' (embedded)' : ''}`;
  log(machine);

  const part = async <T>(name: string, what: string, run: () => Promise<T>): Promise<T[]> =>
    wanted(name) ? repeat(what, run) : [];
  const bareClaim = await part('ceilings', 'ceiling: bare SQL claim + mark, 2 claimers', () =>
    bareClaimRun(serverUrl, 2),
  );
  const bareInsert = await part('ceilings', 'ceiling: 1000-row INSERT', () => bareInsertRun(serverUrl));
  const one = await part('dispatch', 'dispatch, 1 worker', () => dispatchRun(serverUrl, 1, 0));
  const two = await part('dispatch', 'dispatch, 2 workers', () => dispatchRun(serverUrl, 2, 0));
  const scaled = await part('scale', `dispatch, 1 worker, ${FINISHED_ROWS} finished rows in the table`, () =>
    dispatchRun(serverUrl, 1, FINISHED_ROWS),
  );
  const withCallbacks = await part('callbacks', 'dispatch, 1 worker, every message with a callback', async () => {
    const receiver = await startCallbackReceiver({ refusedShare: 0 });
    try {
      return await dispatchRun(serverUrl, 1, 0, receiver);
    } finally {
      await receiver.close();
    }
  });
  const single = await part('ingestion', 'ingestion, 1 recipient per request, 50 connections', () =>
    ingestionRun(serverUrl, 1),
  );
  const bulk = await part('bulk', 'ingestion, 1000 recipients per request', () => ingestionRun(serverUrl, 1000));
  const latency = await part('latency', 'latency at 500 messages/s', () => latencyRun(serverUrl));
  const overload = await part('overload', '50 of the largest requests at once', () => overloadRun(serverUrl));

  const m = (xs: number[]) => summarize(xs);
  const claimCeiling = m(bareClaim).median;
  const insertCeiling = m(bareInsert).median;
  const table = [
    { what: 'ceiling: bare SQL claim+mark (2 claimers)', unit: 'rows/s', ...m(bareClaim), ratio: '' },
    { what: 'ceiling: 1000-row INSERT', unit: 'rows/s', ...m(bareInsert), ratio: '' },
    {
      what: 'dispatch, 1 worker',
      unit: 'msg/s',
      ...m(one.map((r) => r.perSecond)),
      ratio: (m(one.map((r) => r.perSecond)).median / claimCeiling).toFixed(2) + ' × claim ceiling',
    },
    { what: 'dispatch, 1 worker: worker CPU per message', unit: 'µs', ...m(one.map((r) => r.workerCpuUs)), ratio: '' },
    {
      what: 'dispatch, 1 worker: PostgreSQL CPU per message',
      unit: 'µs',
      ...m(one.map((r) => r.databaseCpuUs)),
      ratio: '',
    },
    {
      what: 'dispatch, 2 workers',
      unit: 'msg/s',
      ...m(two.map((r) => r.perSecond)),
      ratio: (m(two.map((r) => r.perSecond)).median / m(one.map((r) => r.perSecond)).median).toFixed(2) + ' × 1 worker',
    },
    {
      what: `dispatch, 1 worker, ${FINISHED_ROWS / 1e6}M finished rows`,
      unit: 'msg/s',
      ...m(scaled.map((r) => r.perSecond)),
      ratio:
        (m(scaled.map((r) => r.perSecond)).median / m(one.map((r) => r.perSecond)).median).toFixed(2) +
        ' × empty table',
    },
    {
      what: 'dispatch, 1 worker, callbacks to a 204 receiver',
      unit: 'msg/s',
      ...m(withCallbacks.map((r) => r.perSecond)),
      ratio:
        (m(withCallbacks.map((r) => r.perSecond)).median / m(one.map((r) => r.perSecond)).median).toFixed(2) +
        ' × without',
    },
    {
      what: 'dispatch, 1 worker, callbacks: worker CPU per message',
      unit: 'µs',
      ...m(withCallbacks.map((r) => r.workerCpuUs)),
      ratio: '',
    },
    {
      what: 'dispatch, 1 worker, callbacks: PostgreSQL CPU per message',
      unit: 'µs',
      ...m(withCallbacks.map((r) => r.databaseCpuUs)),
      ratio: '',
    },
    {
      what: 'callbacks delivered, first send to last callback',
      unit: 'events/s',
      ...m(withCallbacks.map((r) => r.callbacksPerSecond ?? 0)),
      ratio: '',
    },
    { what: 'ingestion, 1 recipient/request', unit: 'req/s', ...m(single.map((r) => r.requestsPerSecond)), ratio: '' },
    { what: 'ingestion, 1 recipient/request: p50', unit: 'ms', ...m(single.map((r) => r.p50)), ratio: '' },
    { what: 'ingestion, 1 recipient/request: p99', unit: 'ms', ...m(single.map((r) => r.p99)), ratio: '' },
    {
      what: 'ingestion, 1 recipient/request: API CPU per request',
      unit: 'µs',
      ...m(single.map((r) => r.apiCpuUs)),
      ratio: '',
    },
    {
      what: 'ingestion, 1 recipient/request: PostgreSQL CPU per request',
      unit: 'µs',
      ...m(single.map((r) => r.databaseCpuUs)),
      ratio: '',
    },
    {
      what: 'ingestion, 1000 recipients/request',
      unit: 'rows/s',
      ...m(bulk.map((r) => r.rowsPerSecond)),
      ratio: (m(bulk.map((r) => r.rowsPerSecond)).median / insertCeiling).toFixed(2) + ' × INSERT ceiling',
    },
    {
      what: 'ingestion, 1000 recipients/request: API CPU per request',
      unit: 'µs',
      ...m(bulk.map((r) => r.apiCpuUs)),
      ratio: '',
    },
    { what: 'accepted → first attempt, p50', unit: 'ms', ...m(latency.map((r) => r.p50)), ratio: '' },
    { what: 'accepted → first attempt, p99', unit: 'ms', ...m(latency.map((r) => r.p99)), ratio: '' },
    { what: 'scheduled: late past send_at, p50', unit: 'ms', ...m(latency.map((r) => r.lateP50)), ratio: '' },
    { what: 'scheduled: late past send_at, p99', unit: 'ms', ...m(latency.map((r) => r.lateP99)), ratio: '' },
    {
      what: '50 largest requests at once: accepted / refused 503',
      unit: 'requests',
      ...m(overload.map((r) => r.accepted)),
      ratio: `refused: ${m(overload.map((r) => r.refused)).median}`,
    },
    {
      what: '50 largest requests at once: /health/live p50',
      unit: 'ms',
      ...m(overload.map((r) => r.probeP50)),
      ratio: '',
    },
    {
      what: '50 largest requests at once: /health/live p99',
      unit: 'ms',
      ...m(overload.map((r) => r.probeP99)),
      ratio: 'target < 1000',
    },
    {
      what: 'peak RSS of one service process',
      unit: 'MB',
      ...m(
        [...one, ...two, ...scaled, ...withCallbacks, ...single, ...bulk, ...latency, ...overload].map((r) => r.rssMb),
      ),
      ratio: '(max is the figure)',
    },
  ];
  console.table(table);
  mkdirSync(join(ROOT, 'bench-results'), { recursive: true });
  writeFileSync(
    join(ROOT, 'bench-results/bench.json'),
    JSON.stringify(
      {
        at: new Date().toISOString(),
        machine,
        runs: RUNS,
        table,
        raw: { bareClaim, bareInsert, one, two, scaled, withCallbacks, single, bulk, latency, overload },
      },
      null,
      2,
    ),
  );
  log(`written to bench-results/bench.json in ${Math.round((Date.now() - started) / 1000)} s`);
  await embedded?.stop();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
