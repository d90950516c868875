/**
 * npm run bench — throughput and latency, against PostgreSQL (DATABASE_URL, else an embedded one).
 *
 * The service runs as real processes (`node dist/main.js`) with the emulators at zero latency, zero
 * failures, no limits and no inbox, so what is measured is the service. Each figure is the median of
 * BENCH_RUNS runs (default 3), with min and max. The anchors are measured in the same run, on the same
 * server, so every figure can be read as a ratio: graphile-worker (bench/anchors, installed there on first
 * use), a bare SQL claim loop on a minimal table and a minimal Nest app. Prints a table, writes
 * bench-results/bench.json.
 */
import autocannon from 'autocannon';
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import { startEmbeddedPostgres } from '../src/database/embedded-postgres';
import { maximalRequest, percentile, probeEvery, sendAtOnce } from '../test/support/burst-traffic';
import type { CallbackReceiver } from './chaos-callbacks';
import { startCallbackReceiver } from './chaos-callbacks';
import { graphileWorker } from './anchors/graphile-worker';
import { bodyDedupKey } from '../src/messages/canonical-body';
import { INGEST_SQL } from '../src/messages/message-ingest';
import type { Env, Service } from './service';
import {
  freePort,
  freshDatabase as freshDatabaseOn,
  IMAGE_NODE_OPTIONS,
  perMessenger,
  ROOT,
  running,
  startService as startProcess,
  stop as stopProcess,
  until as untilWithin,
} from './service';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const DISPATCH_MESSAGES = Number(process.env.BENCH_DISPATCH_MESSAGES ?? 100_000);
const FINISHED_ROWS = Number(process.env.BENCH_FINISHED_ROWS ?? 1_000_000);
/** BENCH_ONLY=dispatch,ingestion… runs a part (for profiling); the table then has only its rows. */
const ONLY = process.env.BENCH_ONLY?.split(',');
const wanted = (part: string) => !ONLY || ONLY.includes(part);
// Parts: anchors, ceilings, dispatch, scale, callbacks, ingestion, bulk, latency, overload.
const log = (line: string) => console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${line}`);

/** The service with everything but itself taken out: instant, always-accepting, unlimited messengers. */
const BENCH_KEY = 'bench-secret-0123456789abcdef';
const SERVICE_ENV = {
  NODE_ENV: 'production',
  NODE_OPTIONS: IMAGE_NODE_OPTIONS,
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
  ...perMessenger('EMULATOR', () => 'limit=0,recipient_interval_ms=0'),
};

function startService(env: Env): Service {
  // BENCH_NODE_FLAGS="--cpu-prof --cpu-prof-dir=bench-results/profiles" profiles the service processes.
  const nodeFlags = process.env.BENCH_NODE_FLAGS?.split(' ').filter(Boolean) ?? [];
  return startProcess(SERVICE_ENV, env, { nodeFlags });
}

const ANCHORS = join(ROOT, 'bench/anchors');

/** An anchor's process (a TypeScript file in bench/anchors), under the same heap cap, with an IPC channel. */
function startAnchor(file: string, env: Env): Service {
  return startProcess({ NODE_OPTIONS: SERVICE_ENV.NODE_OPTIONS }, env, { script: `bench/anchors/${file}`, ipc: true });
}

/** bench/anchors has its own dependencies (graphile-worker), installed from its lock file on first use. */
function installAnchors(): void {
  if (existsSync(join(ANCHORS, 'node_modules/graphile-worker'))) return;
  log('installing bench/anchors (graphile-worker)');
  execFileSync('npm', ['ci', '--prefix', ANCHORS, '--no-audit', '--no-fund'], { stdio: 'inherit' });
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

/** Stops it (SIGTERM): its peak RSS in MB. */
async function stop(service: Service): Promise<number> {
  const rss = peakRssMb(service.child.pid!);
  const stopping = Date.now();
  await stopProcess(service);
  if (Date.now() - stopping > 5_000)
    log(`pid ${service.child.pid} took ${Math.round((Date.now() - stopping) / 1000)} s to stop`);
  return rss;
}

const until = (what: string, check: () => Promise<boolean>, timeoutMs = 120_000) => untilWithin(what, check, timeoutMs);

/**
 * A fresh, migrated database per measurement, so runs never see each other's rows. Named per bench process:
 * other benches on the same server keep their databases.
 */
const freshDatabase = (serverUrl: string, name: string, template?: string, migrate = true) =>
  freshDatabaseOn(serverUrl, `${name}_${process.pid}`, {
    template: template && `${template}_${process.pid}`,
    migrate,
  });

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

/** The physical floor of the pattern: id, status, due time and one partial index, nothing else. */
const ANCHOR_TABLE_SQL = `
  CREATE TABLE anchor_messages (
    id bigserial PRIMARY KEY,
    provider text NOT NULL,
    recipient text NOT NULL,
    body text NOT NULL,
    status text NOT NULL DEFAULT 'pending',
    due_at timestamptz NOT NULL DEFAULT now()
  );
  CREATE INDEX anchor_messages_due ON anchor_messages (due_at) WHERE status IN ('pending', 'sending');`;

async function anchorDatabase(serverUrl: string, name: string): Promise<{ url: string; db: Client }> {
  const fresh = await freshDatabase(serverUrl, name, undefined, false);
  await fresh.db.query(ANCHOR_TABLE_SQL);
  return fresh;
}

/** Anchor: FOR UPDATE SKIP LOCKED claim of 1000 + mark sent, `claimers` connections, on the minimal table. */
async function bareAnchorRun(serverUrl: string, claimers: number): Promise<DispatchFigures> {
  const { url, db } = await anchorDatabase(serverUrl, 'bench_anchor_sql');
  try {
    await db.query(
      `INSERT INTO anchor_messages (provider, recipient, body)
       SELECT 'telegram', (100000000 + i)::text, 'bench ' || i FROM generate_series(1, $1::int) AS i`,
      [DISPATCH_MESSAGES],
    );
    await db.query('VACUUM ANALYZE anchor_messages');
    const clients = await Promise.all(
      Array.from({ length: claimers }, async () => {
        const c = new Client({ connectionString: url });
        await c.connect();
        return c;
      }),
    );
    const backendsBefore = await backendCpuMs(db);
    const started = Date.now();
    await Promise.all(
      clients.map(async (c) => {
        for (let empty = 0; empty < 3;) {
          const { rows } = await c.query(
            `UPDATE anchor_messages m SET status = 'sending', due_at = now() + interval '60 s'
             FROM (SELECT id FROM anchor_messages WHERE status IN ('pending', 'sending') AND due_at <= now()
                   ORDER BY due_at LIMIT 1000 FOR UPDATE SKIP LOCKED) due
             WHERE m.id = due.id RETURNING m.id`,
          );
          if (rows.length === 0) {
            empty++;
            continue;
          }
          empty = 0;
          await c.query(`UPDATE anchor_messages SET status = 'sent' WHERE id = ANY($1)`, [rows.map((r) => r.id)]);
        }
      }),
    );
    const seconds = (Date.now() - started) / 1000;
    const databaseCpu = await backendCpuSince(db, backendsBefore);
    await Promise.all(clients.map((c) => c.end()));
    return {
      perSecond: Math.round(DISPATCH_MESSAGES / seconds),
      rssMb: NaN,
      workerCpuUs: NaN,
      databaseCpuUs: Math.round((databaseCpu * 1000) / DISPATCH_MESSAGES),
    };
  } finally {
    await db.end();
  }
}

/** Anchor: graphile-worker, one process, DISPATCH_MESSAGES no-op jobs added in one `addJobs` call. */
async function graphileDispatchRun(serverUrl: string): Promise<DispatchFigures> {
  const { url, db } = await freshDatabase(serverUrl, 'bench_graphile', undefined, false);
  const utils = await graphileWorker().makeWorkerUtils({ connectionString: url });
  await utils.migrate();
  const worker = startAnchor('graphile-worker.ts', { DATABASE_URL: url, JOBS: String(DISPATCH_MESSAGES) });
  try {
    const messages: { ready?: true; first?: number; last?: number }[] = [];
    worker.child.on('message', (m: (typeof messages)[number]) => messages.push(m));
    await until('graphile-worker is ready', async () => messages.some((m) => m.ready));
    const cpuBefore = cpuMs(worker.child.pid!);
    const backendsBefore = await backendCpuMs(db);
    await utils.addJobs(
      Array.from({ length: DISPATCH_MESSAGES }, (_, i) => ({
        identifier: 'noop',
        payload: { provider: 'telegram', recipient: String(100_000_000 + i), body: `bench ${i}` },
      })),
    );
    await utils.release();
    await until('graphile-worker has run every job', async () => messages.some((m) => m.first));
    // Completions are batched: the queue is drained when the last job's row is gone.
    await until(
      'the graphile-worker queue is drained',
      async () => (await db.query(`SELECT NOT EXISTS (SELECT 1 FROM graphile_worker._private_jobs) AS d`)).rows[0].d,
    );
    const drained = Date.now();
    const workerCpu = cpuMs(worker.child.pid!) - cpuBefore;
    const databaseCpu = await backendCpuSince(db, backendsBefore);
    const first = messages.find((m) => m.first)!.first!;
    return {
      perSecond: Math.round(DISPATCH_MESSAGES / ((drained - first) / 1000)),
      rssMb: await stop(worker),
      workerCpuUs: Math.round((workerCpu * 1000) / DISPATCH_MESSAGES),
      databaseCpuUs: Math.round((databaseCpu * 1000) / DISPATCH_MESSAGES),
    };
  } finally {
    if (running(worker)) await stop(worker);
    await db.end();
  }
}

/** Rows stored a second, and the PostgreSQL CPU each cost (µs). */
interface StorageFigures {
  perSecond: number;
  databaseCpuUs: number;
}

/** Anchor for bulk ingestion: graphile-worker `addJobs` of 20,000 jobs in one call, five calls, one client. */
async function graphileAddJobsRun(serverUrl: string): Promise<StorageFigures> {
  const { url, db } = await freshDatabase(serverUrl, 'bench_graphile_add', undefined, false);
  const utils = await graphileWorker().makeWorkerUtils({ connectionString: url });
  try {
    await utils.migrate();
    const calls = 5;
    const perCall = 20_000;
    const backendsBefore = await backendCpuMs(db);
    const started = Date.now();
    for (let call = 0; call < calls; call++) {
      await utils.addJobs(
        Array.from({ length: perCall }, (_, i) => ({
          identifier: 'noop',
          payload: { provider: 'telegram', recipient: String(100_000_000 + i), body: `bench ${call}` },
        })),
      );
    }
    const seconds = (Date.now() - started) / 1000;
    const databaseCpu = await backendCpuSince(db, backendsBefore);
    return {
      perSecond: Math.round((calls * perCall) / seconds),
      databaseCpuUs: Math.round((databaseCpu * 1000) / (calls * perCall)),
    };
  } finally {
    await utils.release();
    await db.end();
  }
}

/**
 * The floor of bulk ingestion: the API's own statement (STORE_NEW: dedup keys, messages and their answers)
 * run straight from 4 connections, 1000 rows a statement, as the bench's 4 bulk clients send them, with no
 * HTTP, validation or answer building: what storing costs PostgreSQL, to set beside `addJobs`.
 */
async function storeNewRun(serverUrl: string): Promise<StorageFigures> {
  const { url, db } = await freshDatabase(serverUrl, 'bench_store');
  const connections = 4;
  const statements = 25;
  const clients = await Promise.all(
    Array.from({ length: connections }, async () => {
      const client = new Client({ connectionString: url });
      await client.connect();
      return client;
    }),
  );
  try {
    const backendsBefore = await backendCpuMs(db);
    const started = Date.now();
    await Promise.all(
      clients.map(async (client, c) => {
        for (let n = 0; n < statements; n++) {
          const body = `store ceiling ${c}-${n}`;
          const recipients = Array.from({ length: 1000 }, (_, i) => String(100_000_000 + i));
          await client.query(INGEST_SQL.storeNew, [
            recipients.map(() => 'telegram'),
            recipients,
            [body],
            [bodyDedupKey(body)],
            [null],
            recipients.map(() => 1),
            ['bench'],
            recipients.map(() => null),
            [null],
          ]);
        }
      }),
    );
    const seconds = (Date.now() - started) / 1000;
    const databaseCpu = await backendCpuSince(db, backendsBefore);
    const rows = connections * statements * 1000;
    return {
      perSecond: Math.round(rows / seconds),
      databaseCpuUs: Math.round((databaseCpu * 1000) / rows),
    };
  } finally {
    await Promise.all(clients.map((client) => client.end()));
    await db.end();
  }
}

/** Anchor for single-recipient ingestion: the minimal Nest app under the same autocannon load. */
async function minimalNestRun(serverUrl: string): Promise<IngestionFigures> {
  const { url, db } = await anchorDatabase(serverUrl, 'bench_anchor_nest');
  const port = await freePort();
  const app = startAnchor('minimal-nest.ts', { DATABASE_URL: url, PORT: String(port) });
  try {
    return await loadIngestion(app, port, db, 1);
  } finally {
    if (running(app)) await stop(app);
    await db.end();
  }
}

async function ingestionRun(serverUrl: string, recipientsPerRequest: number): Promise<IngestionFigures> {
  const { url, db } = await freshDatabase(serverUrl, 'bench_ingest');
  const port = await freePort();
  const api = startService({ DATABASE_URL: url, APP_ROLE: 'api', PORT: String(port) });
  try {
    return await loadIngestion(api, port, db, recipientsPerRequest);
  } finally {
    if (running(api)) await stop(api);
    await db.end();
  }
}

/** autocannon at an API (the service's or the anchor's): 50 connections of 1 recipient, or 4 of N. */
async function loadIngestion(
  api: Service,
  port: number,
  db: Client,
  recipientsPerRequest: number,
): Promise<IngestionFigures> {
  await until('the API listens', async () =>
    fetch(`http://127.0.0.1:${port}/messages`, { method: 'OPTIONS' }).then(
      () => true,
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
    for (const s of [api, worker]) if (running(s)) await stop(s);
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
    if (running(api)) await stop(api);
    await db.end();
  }
}

function summarize(values: number[]) {
  const sorted = [...values].sort((a, b) => a - b);
  return { median: sorted[Math.floor(sorted.length / 2)], min: sorted[0], max: sorted[sorted.length - 1] };
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

  // Run by run, every part once, so the service and its anchors are measured back to back and each run's
  // ratio pairs figures taken minutes apart rather than a whole part apart.
  if (wanted('anchors')) installAnchors();
  const results = {
    graphile: [] as DispatchFigures[],
    bareAnchor: [] as DispatchFigures[],
    addJobs: [] as StorageFigures[],
    storeNew: [] as StorageFigures[],
    minimalNest: [] as IngestionFigures[],
    bareClaim: [] as number[],
    bareInsert: [] as number[],
    one: [] as DispatchFigures[],
    two: [] as DispatchFigures[],
    scaled: [] as DispatchFigures[],
    withCallbacks: [] as DispatchFigures[],
    single: [] as IngestionFigures[],
    bulk: [] as IngestionFigures[],
    latency: [] as Awaited<ReturnType<typeof latencyRun>>[],
    overload: [] as Awaited<ReturnType<typeof overloadRun>>[],
  };
  for (let i = 1; i <= RUNS; i++) {
    const part = async <T>(name: string, what: string, into: T[], run: () => Promise<T>) => {
      if (!wanted(name)) return;
      log(`${what}, run ${i}/${RUNS}`);
      into.push(await run());
    };
    await part('anchors', 'anchor: graphile-worker, 1 process', results.graphile, () => graphileDispatchRun(serverUrl));
    await part('anchors', 'anchor: bare SQL claim + mark on a minimal table', results.bareAnchor, () =>
      bareAnchorRun(serverUrl, 2),
    );
    await part('anchors', 'anchor: graphile-worker addJobs', results.addJobs, () => graphileAddJobsRun(serverUrl));
    await part('anchors', 'anchor: minimal Nest app, 50 connections', results.minimalNest, () =>
      minimalNestRun(serverUrl),
    );
    await part('ceilings', 'ceiling: bare SQL claim + mark, 2 claimers', results.bareClaim, () =>
      bareClaimRun(serverUrl, 2),
    );
    await part('ceilings', 'ceiling: 1000-row INSERT', results.bareInsert, () => bareInsertRun(serverUrl));
    await part('ceilings', 'ceiling: the ingest statement alone, 4 connections', results.storeNew, () =>
      storeNewRun(serverUrl),
    );
    await part('dispatch', 'dispatch, 1 worker', results.one, () => dispatchRun(serverUrl, 1, 0));
    await part('dispatch', 'dispatch, 2 workers', results.two, () => dispatchRun(serverUrl, 2, 0));
    await part('scale', `dispatch, 1 worker, ${FINISHED_ROWS} finished rows in the table`, results.scaled, () =>
      dispatchRun(serverUrl, 1, FINISHED_ROWS),
    );
    await part('callbacks', 'dispatch, 1 worker, every message with a callback', results.withCallbacks, async () => {
      const receiver = await startCallbackReceiver({ refusedShare: 0 });
      try {
        return await dispatchRun(serverUrl, 1, 0, receiver);
      } finally {
        await receiver.close();
      }
    });
    await part('ingestion', 'ingestion, 1 recipient per request, 50 connections', results.single, () =>
      ingestionRun(serverUrl, 1),
    );
    await part('bulk', 'ingestion, 1000 recipients per request', results.bulk, () => ingestionRun(serverUrl, 1000));
    await part('latency', 'latency at 500 messages/s', results.latency, () => latencyRun(serverUrl));
    await part('overload', '50 of the largest requests at once', results.overload, () => overloadRun(serverUrl));
  }
  const { graphile, bareAnchor, addJobs, minimalNest, bareClaim, bareInsert, one, two, scaled, single, bulk } = results;
  const { withCallbacks, storeNew } = results;
  const { latency, overload } = results;

  const m = (xs: number[]) => summarize(xs);
  /** "0.81 × graphile-worker (0.76–0.84)": the median of the runs' own ratios, with their min and max. */
  const ratio = (service: number[], anchor: number[], label: string) => {
    const runs = service.slice(0, anchor.length).map((x, i) => x / anchor[i]);
    if (runs.length === 0 || runs.some((r) => !Number.isFinite(r))) return '';
    const r = m(runs);
    return `${r.median.toFixed(2)} × ${label} (${r.min.toFixed(2)}–${r.max.toFixed(2)})`;
  };
  const row = (what: string, unit: string, values: number[], note = '') => ({ what, unit, ...m(values), ratio: note });
  const per = <T>(xs: T[], f: (x: T) => number) => xs.map(f);
  const rate = (xs: { perSecond: number }[]) => per(xs, (r) => r.perSecond);
  const table = [
    row('anchor: graphile-worker 0.17.3, 1 process', 'jobs/s', rate(graphile)),
    row(
      'anchor: graphile-worker: worker CPU per job',
      'µs',
      per(graphile, (r) => r.workerCpuUs),
    ),
    row(
      'anchor: graphile-worker: PostgreSQL CPU per job',
      'µs',
      per(graphile, (r) => r.databaseCpuUs),
    ),
    row(
      'anchor: graphile-worker: peak RSS',
      'MB',
      per(graphile, (r) => r.rssMb),
    ),
    row('anchor: bare SQL claim+mark, minimal table, 2 claimers', 'rows/s', rate(bareAnchor)),
    row(
      'anchor: bare SQL: PostgreSQL CPU per row',
      'µs',
      per(bareAnchor, (r) => r.databaseCpuUs),
    ),
    row('anchor: graphile-worker addJobs, 20,000 per call', 'jobs/s', rate(addJobs)),
    row(
      'anchor: graphile-worker addJobs: PostgreSQL CPU per job',
      'µs',
      per(addJobs, (r) => r.databaseCpuUs),
    ),
    row(
      'anchor: minimal Nest, 1 recipient/request',
      'req/s',
      per(minimalNest, (r) => r.requestsPerSecond),
    ),
    row(
      'anchor: minimal Nest: p99',
      'ms',
      per(minimalNest, (r) => r.p99),
    ),
    row(
      'anchor: minimal Nest: API CPU per request',
      'µs',
      per(minimalNest, (r) => r.apiCpuUs),
    ),
    row(
      'anchor: minimal Nest: PostgreSQL CPU per request',
      'µs',
      per(minimalNest, (r) => r.databaseCpuUs),
    ),
    row('ceiling: bare SQL claim+mark on messages (2 claimers)', 'rows/s', bareClaim),
    row('ceiling: 1000-row INSERT into messages', 'rows/s', bareInsert),
    row(
      'ceiling: the ingest statement alone, 1000 rows, 4 connections',
      'rows/s',
      rate(storeNew),
      ratio(rate(storeNew), rate(addJobs), 'graphile addJobs'),
    ),
    row(
      'ceiling: the ingest statement alone: PostgreSQL CPU per row',
      'µs',
      per(storeNew, (r) => r.databaseCpuUs),
      ratio(
        per(storeNew, (r) => r.databaseCpuUs),
        per(addJobs, (r) => r.databaseCpuUs),
        'graphile addJobs',
      ),
    ),
    row('dispatch, 1 worker', 'msg/s', rate(one), ratio(rate(one), rate(graphile), 'graphile-worker (target ≥ 1.1)')),
    row(
      'dispatch, 1 worker (vs bare SQL)',
      'msg/s',
      rate(one),
      ratio(rate(one), rate(bareAnchor), 'bare SQL (target ≥ 0.6)'),
    ),
    row(
      'dispatch, 1 worker (vs claim on messages)',
      'msg/s',
      rate(one),
      ratio(rate(one), bareClaim, 'claim on messages'),
    ),
    row(
      'dispatch, 1 worker: worker CPU per message',
      'µs',
      per(one, (r) => r.workerCpuUs),
      ratio(
        per(one, (r) => r.workerCpuUs),
        per(graphile, (r) => r.workerCpuUs),
        'graphile-worker',
      ),
    ),
    row(
      'dispatch, 1 worker: PostgreSQL CPU per message',
      'µs',
      per(one, (r) => r.databaseCpuUs),
      ratio(
        per(one, (r) => r.databaseCpuUs),
        per(graphile, (r) => r.databaseCpuUs),
        'graphile-worker',
      ),
    ),
    row(
      'dispatch, 1 worker: peak RSS',
      'MB',
      per(one, (r) => r.rssMb),
      'target ≤ 250',
    ),
    row('dispatch, 2 workers', 'msg/s', rate(two), ratio(rate(two), rate(one), '1 worker')),
    row(
      'dispatch, 2 workers: worker CPU per message',
      'µs',
      per(two, (r) => r.workerCpuUs),
    ),
    row(
      'dispatch, 2 workers: PostgreSQL CPU per message',
      'µs',
      per(two, (r) => r.databaseCpuUs),
    ),
    row(
      `dispatch, 1 worker, ${FINISHED_ROWS / 1e6}M finished rows`,
      'msg/s',
      rate(scaled),
      ratio(rate(scaled), rate(one), 'empty table (target ≥ 0.9)'),
    ),
    row(
      'dispatch, 1 worker, callbacks to a 204 receiver',
      'msg/s',
      rate(withCallbacks),
      ratio(rate(withCallbacks), rate(one), 'without'),
    ),
    row(
      'dispatch, 1 worker, callbacks: worker CPU per message',
      'µs',
      per(withCallbacks, (r) => r.workerCpuUs),
    ),
    row(
      'dispatch, 1 worker, callbacks: PostgreSQL CPU per message',
      'µs',
      per(withCallbacks, (r) => r.databaseCpuUs),
    ),
    row(
      'callbacks delivered, first send to last callback',
      'events/s',
      per(withCallbacks, (r) => r.callbacksPerSecond ?? 0),
    ),
    row(
      'ingestion, 1 recipient/request',
      'req/s',
      per(single, (r) => r.requestsPerSecond),
      ratio(
        per(single, (r) => r.requestsPerSecond),
        per(minimalNest, (r) => r.requestsPerSecond),
        'minimal Nest (target ≥ 1.0)',
      ),
    ),
    row(
      'ingestion, 1 recipient/request: p50',
      'ms',
      per(single, (r) => r.p50),
    ),
    row(
      'ingestion, 1 recipient/request: p99',
      'ms',
      per(single, (r) => r.p99),
      'target ≤ 50',
    ),
    row(
      'ingestion, 1 recipient/request: API CPU per request',
      'µs',
      per(single, (r) => r.apiCpuUs),
      ratio(
        per(single, (r) => r.apiCpuUs),
        per(minimalNest, (r) => r.apiCpuUs),
        'minimal Nest',
      ),
    ),
    row(
      'ingestion, 1 recipient/request: PostgreSQL CPU per request',
      'µs',
      per(single, (r) => r.databaseCpuUs),
      ratio(
        per(single, (r) => r.databaseCpuUs),
        per(minimalNest, (r) => r.databaseCpuUs),
        'minimal Nest',
      ),
    ),
    row(
      'ingestion, 1 recipient/request: peak RSS',
      'MB',
      per(single, (r) => r.rssMb),
      'target ≤ 250',
    ),
    row(
      'ingestion, 1000 recipients/request',
      'rows/s',
      per(bulk, (r) => r.rowsPerSecond),
      ratio(
        per(bulk, (r) => r.rowsPerSecond),
        rate(addJobs),
        'graphile addJobs (target ≥ 1.0)',
      ),
    ),
    row(
      'ingestion, 1000 recipients/request (vs INSERT)',
      'rows/s',
      per(bulk, (r) => r.rowsPerSecond),
      ratio(
        per(bulk, (r) => r.rowsPerSecond),
        bareInsert,
        'INSERT ceiling',
      ),
    ),
    row(
      'ingestion, 1000 recipients/request: API CPU per request',
      'µs',
      per(bulk, (r) => r.apiCpuUs),
    ),
    row(
      'ingestion, 1000 recipients/request: PostgreSQL CPU per request',
      'µs',
      per(bulk, (r) => r.databaseCpuUs),
    ),
    row(
      'ingestion, 1000 recipients/request: peak RSS',
      'MB',
      per(bulk, (r) => r.rssMb),
      'target ≤ 250',
    ),
    row(
      'accepted → first attempt, p50',
      'ms',
      per(latency, (r) => r.p50),
    ),
    row(
      'accepted → first attempt, p99',
      'ms',
      per(latency, (r) => r.p99),
    ),
    row(
      'scheduled: late past send_at, p50',
      'ms',
      per(latency, (r) => r.lateP50),
    ),
    row(
      'scheduled: late past send_at, p99',
      'ms',
      per(latency, (r) => r.lateP99),
    ),
    row(
      '50 largest requests at once: accepted / refused 503',
      'requests',
      per(overload, (r) => r.accepted),
      overload.length ? `refused: ${m(per(overload, (r) => r.refused)).median}` : '',
    ),
    row(
      '50 largest requests at once: /health/live p50',
      'ms',
      per(overload, (r) => r.probeP50),
    ),
    row(
      '50 largest requests at once: /health/live p99',
      'ms',
      per(overload, (r) => r.probeP99),
      'target < 1000',
    ),
    row(
      'peak RSS of one service process',
      'MB',
      [...one, ...two, ...scaled, ...withCallbacks, ...single, ...bulk, ...latency, ...overload].map((r) => r.rssMb),
      '(max is the figure; target ≤ 250)',
    ),
  ].filter((r) => r.median !== undefined);
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
        raw: results,
      },
      null,
      2,
    ),
  );
  log(`written to bench-results/bench.json in ${Math.round((Date.now() - started) / 1000)} s`);
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  const { rows: ours } = await admin.query(`SELECT datname FROM pg_database WHERE datname LIKE $1`, [
    `bench\\_%\\_${process.pid}`,
  ]);
  for (const { datname } of ours) await admin.query(`DROP DATABASE "${datname}" WITH (FORCE)`);
  await admin.end();
  await embedded?.stop();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
