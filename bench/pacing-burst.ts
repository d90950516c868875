/**
 * TS_NODE_TRANSPILE_ONLY=true node -r ts-node/register bench/pacing-burst.ts \
 *   [--count 1000] [--workers 3] [--runs 1] [--rate 28.5] [--emulator-server] [--baseline DIR]
 *
 * Does the pacing hold when several workers send for one account? Starts `--workers` worker processes
 * (the real service from the TypeScript sources, APP_ROLE=worker, DISPATCH_PACING=on) on one fresh
 * database, the Telegram emulator at its real limits (30 a second, a second per chat) with its inbox on,
 * and puts a burst of `--count` messages to distinct chats of the default Telegram account in the queue.
 * Reports, per run:
 *
 * - how many attempts the emulators answered 429. Each process has an emulator of its own, which sees only
 *   that process's sends; so also, the share a single limit over all the workers' sends (as the real
 *   Telegram, or the emulator server, enforces it) would have refused: every attempt, at the time it
 *   reached its emulator (started_at + latency), replayed through the emulator's own sliding window;
 * - the burst's duration (the first attempt to the last, and from the insert to the last acceptance)
 *   against count / the paced rate (95% of 30 a second).
 *
 * `--emulator-server`: the workers send over HTTP to one emulator server (APP_ROLE=emulators) through a
 * sender account (SENDERS_FILE, `base_url` at the server), so one emulator enforces the account's limits
 * on all of them, as the real Telegram would: its 429s are the figure. Needs sender accounts and the
 * emulator server (issue 12).
 *
 * `--baseline DIR` runs the same burst from another copy of the project too, for contrast: e.g. the
 * per-process pacing, `git archive c89d090 | tar -x -C DIR` (the commit before shared pacing), with
 * node_modules linked in. DATABASE_URL names the
 * server (each run gets a database of its own), else an embedded PostgreSQL. Writes
 * bench-results/pacing-burst.json.
 */
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { startEmbeddedPostgres } from '../src/database/embedded-postgres';
import { MESSENGER_RULES } from '../src/providers/messengers';
import { freePort, ServiceProcess, waitFor } from '../test/support/service-process';

const { values } = parseArgs({
  options: {
    count: { type: 'string', default: '1000' },
    workers: { type: 'string', default: '3' },
    runs: { type: 'string', default: '1' },
    baseline: { type: 'string' },
    'emulator-server': { type: 'boolean', default: false },
    /** DISPATCH_RATE_TELEGRAM for the workers; unset: the default, 95% of the limit. */
    rate: { type: 'string' },
  },
});
const COUNT = Number(values.count);
const WORKERS = Number(values.workers);
const RUNS = Number(values.runs);
const EMULATOR_SERVER = values['emulator-server'];
/** The account the burst goes through with --emulator-server. */
const SENDER = 'burst-bot';
const LIMIT = MESSENGER_RULES.telegram.limits;
/** The rate the workers pace the account at: --rate, or the default (AppConfig.pacingRule). */
const PACED_RATE = values.rate ? Number(values.rate) : (0.95 * LIMIT.count * 1000) / LIMIT.windowMs;
const log = (line: string) => console.log(`[pacing-burst ${new Date().toISOString().slice(11, 19)}] ${line}`);

interface Attempt {
  outcome: string;
  started_at: Date;
  latency_ms: number;
}

/**
 * How many of these attempts one limit of `count` per `windowMs` would refuse, deciding as the emulator
 * does (src/providers/emulators/emulated-messenger.ts): after the request's latency, refused when the window
 * already holds `count` accepted sends. Refused sends take no place in the window.
 */
function refusedByOneLimit(attempts: readonly Attempt[], withLatency = true): number {
  const arrivals = attempts.map((a) => a.started_at.getTime() + (withLatency ? a.latency_ms : 0)).sort((a, b) => a - b);
  const window: number[] = [];
  let refused = 0;
  for (const at of arrivals) {
    while (window.length > 0 && window[0] <= at - LIMIT.windowMs) window.shift();
    if (window.length >= LIMIT.count) refused++;
    else window.push(at);
  }
  return refused;
}

async function run(serverUrl: string, project: string, label: string) {
  const database = `pacing_burst_${Date.now()}`;
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${database}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  const emulatorEnv = {
    EMULATOR_TELEGRAM: `limit=${LIMIT.count}/${LIMIT.windowMs},recipient_interval_ms=${LIMIT.perRecipientIntervalMs}`,
    EMULATOR_LATENCY_MS: '20',
    EMULATOR_FAILURE_RATE: '0',
    EMULATOR_RATE_LIMITED_RATE: '0',
    EMULATOR_PERMANENT_RATE: '0',
    EMULATOR_INBOX: 'on',
  };
  const processes: ServiceProcess[] = [];
  const start = (env: Record<string, string>) => {
    const started = new ServiceProcess(
      { DATABASE_URL: url.toString(), LOG_LEVEL: 'info', ...emulatorEnv, ...env },
      { project },
    );
    processes.push(started);
    return started;
  };
  const client = new Client({ connectionString: url.toString() });
  try {
    const senders: Record<string, string> = {};
    if (EMULATOR_SERVER) {
      const port = await freePort();
      const server = start({ APP_ROLE: 'emulators', PORT: String(port) });
      await server.waitFor(
        'the emulator server is up',
        () => server.lines.some((l) => l.includes('"listening"')),
        180_000,
      );
      const file = join(mkdtempSync(join(tmpdir(), 'pacing-burst-senders-')), 'senders.json');
      const account = { client: '*', provider: 'telegram', name: SENDER, token: '123456:AAEburstbursburst' };
      writeFileSync(file, JSON.stringify([{ ...account, base_url: `http://127.0.0.1:${port}` }]));
      senders.SENDERS_FILE = file;
    }
    const workers = Array.from({ length: WORKERS }, () =>
      start({
        ...senders,
        ...(values.rate && { DISPATCH_RATE_TELEGRAM: values.rate }),
        APP_ROLE: 'worker',
        DISPATCH_PACING: 'on',
        DISPATCH_LEASE_SECONDS: '120',
      }),
    );
    for (const worker of workers)
      await worker.waitFor(
        'the worker is up',
        () => worker.lines.some((line) => line.includes('role worker: scheduler')),
        180_000,
      );
    await client.connect();
    // Straight into the queue, as the API stores a burst, then the wake-up the API sends on commit.
    const inserted = Date.now();
    await client.query(
      `INSERT INTO messages (provider, recipient, body, body_hash, send_at, next_attempt_at${EMULATOR_SERVER ? ', sender' : ''})
       SELECT 'telegram', (100000000 + i)::text, 'burst ' || i, sha256(convert_to('burst ' || i, 'UTF8')), now(), now()
              ${EMULATOR_SERVER ? ', $2::text' : ''}
       FROM generate_series(1, $1::int) AS i`,
      EMULATOR_SERVER ? [COUNT, SENDER] : [COUNT],
    );
    await client.query(`SELECT pg_notify('messages_due', 'telegram:' || $1::text)`, [inserted]);
    await waitFor(
      'every message is sent',
      async () => {
        const { rows } = await client.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM messages WHERE status IN ('pending', 'sending')`,
        );
        return rows[0].n === 0;
      },
      600_000,
    );
    const { rows: attempts } = await client.query<Attempt>(
      `SELECT outcome, started_at, latency_ms FROM message_attempts WHERE started_at IS NOT NULL`,
    );
    const { rows: inbox } = await client.query<{ first: Date; last: Date; n: number }>(
      `SELECT min(accepted_at) AS first, max(accepted_at) AS last, count(*)::int AS n FROM emulator_inbox`,
    );
    const starts = attempts.map((a) => a.started_at.getTime()).sort((a, b) => a - b);
    const spanS = (starts[starts.length - 1] - starts[0]) / 1000;
    const idealS = COUNT / PACED_RATE;
    const answered429 = attempts.filter((a) => a.outcome === 'rate_limited').length;
    const refused = refusedByOneLimit(attempts);
    return {
      run: EMULATOR_SERVER ? `${label}, emulator server` : label,
      messages: COUNT,
      delivered: inbox[0].n,
      attempts: attempts.length,
      answered429,
      answered429Pct: round((100 * answered429) / attempts.length),
      oneLimitWouldRefuse: refused,
      oneLimitWouldRefusePct: round((100 * refused) / attempts.length),
      // The same, by when the requests left (without the emulator's latency, whose spread bunches them).
      byDepartureWouldRefuse: refusedByOneLimit(attempts, false),
      spanS: round(spanS),
      insertToLastS: round((inbox[0].last.getTime() - inserted) / 1000),
      idealS: round(idealS),
      spanVsIdealPct: round((100 * (spanS - idealS)) / idealS),
      ratePerS: round(COUNT / spanS),
      // Time the account sat unused: the gaps between departures beyond two slots' worth.
      idleS: round(
        starts.slice(1).reduce((sum, at, i) => sum + Math.max(0, at - starts[i] - 2000 / PACED_RATE), 0) / 1000,
      ),
      // Sends put back because their worker reached them past their slot (each warning names how many).
      lateHandedBack: workers
        .flatMap((w) => w.lines)
        .map((line) => /(\d+) message\(s\) reached after their send slot/.exec(line))
        .reduce((sum, match) => sum + (match ? Number(match[1]) : 0), 0),
    };
  } finally {
    await client.end().catch(() => undefined);
    for (const started of processes) started.kill('SIGTERM');
    await Promise.all(processes.map((started) => started.exited));
    await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await admin.end();
  }
}

const round = (n: number) => Math.round(n * 100) / 100;

async function main() {
  if (!(COUNT > 0 && WORKERS > 0 && RUNS > 0))
    throw new Error('usage: --count N --workers N --runs N [--baseline DIR]');
  let serverUrl = process.env.DATABASE_URL;
  const embedded = serverUrl
    ? undefined
    : await startEmbeddedPostgres({
        dir: mkdtempSync(join(tmpdir(), 'pacing-burst-pg-')),
        database: 'postgres',
        persistent: false,
      });
  serverUrl ??= embedded!.url;
  log(
    `${COUNT} messages to one Telegram account (limit ${LIMIT.count}/${LIMIT.windowMs} ms, paced at ${PACED_RATE}/s), ` +
      `${WORKERS} workers`,
  );
  const projects: [string, string][] = [['shared', resolve(__dirname, '..')]];
  if (values.baseline) projects.push(['baseline', resolve(values.baseline)]);
  const results = [];
  for (let i = 1; i <= RUNS; i++) {
    for (const [label, project] of projects) {
      log(`run ${i}: ${label} (${project})`);
      const result = await run(serverUrl, project, label);
      log(JSON.stringify(result));
      results.push(result);
    }
  }
  console.table(results);
  mkdirSync('bench-results', { recursive: true });
  const file = join('bench-results', 'pacing-burst.json');
  writeFileSync(
    file,
    JSON.stringify(
      { count: COUNT, workers: WORKERS, limit: LIMIT, pacedRate: PACED_RATE, results, at: new Date() },
      null,
      2,
    ),
  );
  log(`written to ${file}`);
  await embedded?.stop();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
