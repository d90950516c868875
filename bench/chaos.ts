/**
 * npm run chaos — the delivery guarantees under faults, with real processes on loopback.
 *
 * Per round (DISPATCH_ORDERING none, then per_recipient): an embedded PostgreSQL, one API and two
 * workers (compiled, `node dist/main.js`); several thousand messages over the three messengers, some
 * scheduled seconds ahead, with transient, rate-limited, permanent and lost-answer rates on; workers
 * killed with SIGKILL and restarted, one stopped with SIGTERM, PostgreSQL restarted once under load.
 * Then it waits for the queue to settle and checks, from the emulators' inboxes and the table: nothing
 * lost, nothing delivered twice, nothing stuck, and (with ordering on) nothing out of order. Every terminal
 * state is also posted to a callback receiver (chaos-callbacks.ts): no event missed or undelivered.
 * Prints a table, writes bench-results/chaos.json, exits 1 on any violation. Bounded: about 2-3 minutes.
 *
 * npm run chaos:senders (CHAOS_DELIVERY=senders; =both runs all four rounds): the same two rounds, but the
 * workers deliver over HTTP through sender accounts (SENDERS_FILE, client "*", one per messenger) to an
 * emulator server (APP_ROLE=emulators, the same EMULATOR_* rates and limits, a database of its own on the
 * same PostgreSQL), which is also SIGKILLed and restarted once mid-run. The verdict reads that server's
 * inbox, and also checks that every message records its account as its sender and that nothing reached
 * the service's own emulators.
 */
import { randomInt, randomUUID } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';
import type { EmbeddedDatabase } from '../src/database/embedded-postgres';
import { startEmbeddedPostgres } from '../src/database/embedded-postgres';
import { MESSENGER_RULES, type MessengerName } from '../src/providers/messengers';
import type { CallbackReport } from './chaos-callbacks';
import { callbackViolations, inspectCallbacks, startCallbackReceiver } from './chaos-callbacks';
import type { Env, Service } from './service';
import { freePort, perMessenger, ROOT, running, startService as startProcess, until, waitForHttp } from './service';

const MESSAGES_PER_ROUND = Number(process.env.CHAOS_MESSAGES ?? 3000);
const SETTLE_TIMEOUT_MS = 150_000;
/**
 * CHAOS_DELIVERY: in-process (default): the service's own emulators; senders: through sender accounts to an
 * emulator server (npm run chaos:senders); both: the one's rounds, then the other's.
 */
const DELIVERY = process.env.CHAOS_DELIVERY ?? 'in-process';
if (!['in-process', 'senders', 'both'].includes(DELIVERY))
  throw new Error('CHAOS_DELIVERY: in-process, senders or both');
const PLANS: RoundPlan[] = [
  ...(DELIVERY === 'senders' ? [] : (['in-process'] as const)),
  ...(DELIVERY === 'in-process' ? [] : (['emulator server'] as const)),
].flatMap((delivery) => (['none', 'per_recipient'] as const).map((ordering) => ({ ordering, delivery })));
const log = (line: string) => console.log(`[chaos ${new Date().toISOString().slice(11, 23)}] ${line}`);

/** Per messenger: its emulator's per-recipient interval (none: the real one, 0), and the workers' pace a second. */
const CHAOS_PACE: Record<MessengerName, { recipientIntervalMs?: number; dispatchRate: number }> = {
  telegram: { recipientIntervalMs: 500, dispatchRate: 70 },
  whatsapp: { recipientIntervalMs: 1000, dispatchRate: 190 },
  viber: { dispatchRate: 120 },
};

const SERVICE_ENV = {
  LOG_FORMAT: 'json',
  DISPATCH_CRON: '* * * * * *',
  DISPATCH_BATCH_SIZE: '40',
  DISPATCH_CONCURRENCY: '20',
  DISPATCH_SEND_TIMEOUT_MS: '1000',
  DISPATCH_LEASE_SECONDS: '5',
  MAX_RETRIES: '8',
  RETRY_BASE_DELAY_MS: '200',
  RETRY_MAX_DELAY_MS: '3000',
  EMULATOR_LATENCY_MS: '20',
  EMULATOR_FAILURE_RATE: '0.05',
  EMULATOR_RATE_LIMITED_RATE: '0.02',
  EMULATOR_PERMANENT_RATE: '0.01',
  EMULATOR_LOST_ANSWER_RATE: '0.03',
  // The real limits, five times over, so that a round takes seconds; the workers pace at under half of
  // them. Per-recipient intervals stay, shortened.
  ...perMessenger('EMULATOR', (m) => {
    const { count, windowMs } = MESSENGER_RULES[m].limits;
    const interval = CHAOS_PACE[m].recipientIntervalMs;
    return `limit=${5 * count}/${windowMs}${interval ? `,recipient_interval_ms=${interval}` : ''}`;
  }),
  ...perMessenger('DISPATCH_RATE', (m) => String(CHAOS_PACE[m].dispatchRate)),
};

const LOG_DIR = mkdtempSync(join(tmpdir(), 'chaos-logs-'));
let started = 0;

/** A service process and the file its output goes to. */
type Logged = Service & { readonly logFile: string };

/** A service process with SERVICE_ENV and `env`, its output in a file of LOG_DIR named by its start, round and `name`. */
function startService(name: string, round: string, env: Env): Logged {
  const logFile = join(LOG_DIR, `${String(++started).padStart(2, '0')}-${round}-${name}.log`);
  return { ...startProcess(SERVICE_ENV, env, { name, logFile }), logFile };
}

/** How many sends a worker has logged so far. */
function attemptsLogged(worker: Logged): number {
  return readFileSync(worker.logFile, 'utf8').split('"event":"delivery_attempt"').length - 1;
}

/**
 * Waits until a worker is sending, so that a fault meant to hit sends in flight does: on 2 busy cores a
 * service takes longer to start than the timeline's steps, and a worker killed while still loading tests
 * nothing. Bounded: past 60 s the fault goes ahead, and the report's "mid-send" count shows it.
 */
async function untilSending(worker: Logged): Promise<void> {
  await until(`${worker.name} sends`, async () => attemptsLogged(worker) > 0 || !running(worker), 60_000).catch(
    (error: Error) => log(`${error.message}: going ahead`),
  );
}

/** The traffic: a pool of recipients per messenger (several messages each, for ordering), a few test recipients. */
function plannedRequests(count: number) {
  const pools = {
    telegram: Array.from({ length: 400 }, (_, i) => String(700_000_000 + i)),
    whatsapp: Array.from({ length: 400 }, (_, i) => `+4917${String(10_000_000 + i)}`),
    viber: Array.from({ length: 400 }, (_, i) => `chaos-${i}`),
  };
  const failing = [
    { provider: 'telegram', recipient: '1000000403' },
    { provider: 'whatsapp', recipient: '+15550131026' },
    { provider: 'viber', recipient: 'test-not-registered' },
  ];
  const requests: { body: string; recipients: { provider: string; recipient: string }[]; send_at?: string }[] = [];
  let planned = 0;
  for (let r = 0; planned < count; r++) {
    const size = Math.min(count - planned, 50);
    const recipients = new Map<string, { provider: string; recipient: string }>();
    while (recipients.size < size) {
      const provider = (['telegram', 'whatsapp', 'viber'] as const)[randomInt(3)];
      const recipient = pools[provider][randomInt(pools[provider].length)];
      recipients.set(`${provider}:${recipient}`, { provider, recipient });
    }
    if (r % 10 === 0) failing.forEach((f) => recipients.set(`${f.provider}:${f.recipient}`, f));
    const scheduled = r % 5 === 0 ? { send_at: new Date(Date.now() + 3000 + randomInt(5000)).toISOString() } : {};
    requests.push({ body: `chaos ${randomUUID()}`, recipients: [...recipients.values()], ...scheduled });
    planned += recipients.size;
  }
  return requests;
}

/** Submits a request until it is answered 2xx, retrying outages under its Idempotency-Key. */
async function submit(
  api: string,
  request: object,
  stats: { unavailable: number; serverErrors: number; replays: number },
) {
  const key = randomUUID();
  const submittedAt = new Date();
  const deadline = Date.now() + 90_000;
  while (Date.now() < deadline) {
    try {
      const res = await fetch(`${api}/messages`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'idempotency-key': key },
        body: JSON.stringify(request),
      });
      if (res.status === 200 || res.status === 202) {
        if (res.headers.get('idempotency-replay') === 'true') stats.replays++;
        const answeredAt = new Date();
        return ((await res.json()) as { messages: { id: string }[] }).messages.map((m) => ({
          id: m.id,
          submittedAt,
          answeredAt,
        }));
      }
      if (res.status === 503) stats.unavailable++;
      else if (res.status >= 500) stats.serverErrors++;
      else if (res.status !== 409) throw new Error(`POST /messages answered ${res.status}: ${await res.text()}`);
    } catch (error) {
      if (error instanceof Error && error.message.startsWith('POST')) throw error;
    }
    await sleep(250);
  }
  throw new Error('a request could not be submitted in 90 s');
}

/** A message as the client saw it: when its request went out, and when it was answered. */
interface Accepted {
  id: string;
  submittedAt: Date;
  answeredAt: Date;
}

interface RoundReport extends CallbackReport {
  /** The ordering, and ", senders" for a round through sender accounts to the emulator server. */
  round: string;
  ordering: string;
  delivery: RoundPlan['delivery'];
  accepted: number;
  deliveredOnce: number;
  /** Delivered once although attempted more than once (a lost answer, a killed worker, a retry). */
  deliveredOnceAfterRepeats: number;
  deliveredMoreThanOnce: number;
  duplicateBodies: number;
  lost: number;
  stuck: number;
  failed: number;
  failedReasons: Record<string, number>;
  outOfOrder: number | null;
  /** With sender accounts: messages without a sender, or with another messenger's; deliveries that bypassed the server. */
  withoutSender: number | null;
  otherSender: number | null;
  inProcessDeliveries: number | null;
  /** With sender accounts: the services' log lines (every process of the round) that hold a token. */
  tokenLines: number | null;
  sigkills: number;
  /** SIGKILLs to a worker that had begun sending (the others hit a worker still starting). */
  sigkillsMidSend: number;
  sigtermExit: number | null;
  sigtermMidSend: boolean;
  emulatorServerKills: number;
  apiUnavailableAnswers: number;
  /** 5xx answers other than 503: each one is a bug. */
  apiServerErrors: number;
  settleSeconds: number;
  messagesPerSecond: number;
}

/** The sender account per messenger (client "*") of a round with sender accounts: `base_url` at the emulator server. */
function senderAccounts(emulatorServer: string): Record<MessengerName, Record<string, string>> {
  return {
    telegram: { name: 'chaos-bot', token: '123456:AAEchaoschaoschaoschaos', base_url: emulatorServer },
    whatsapp: {
      name: 'chaos-wa',
      phone_number_id: '106540352242922',
      token: 'EAAGchaoschaoschaoschaos',
      base_url: `${emulatorServer}/v21.0`,
    },
    viber: { name: 'chaos-viber', token: '4453b6acchaoschaoschaos', sender_name: 'Chaos', base_url: emulatorServer },
  };
}

/** A round's setup: the order the workers keep, and where they deliver to. */
interface RoundPlan {
  ordering: 'none' | 'per_recipient';
  /**
   * in-process: each service process's own emulators (the default, no SENDERS_FILE). emulator server: one
   * APP_ROLE=emulators process with a database of its own, reached over HTTP through a sender account per
   * messenger, SIGKILLed and restarted once mid-run.
   */
  delivery: 'in-process' | 'emulator server';
}

async function round({ ordering, delivery }: RoundPlan): Promise<RoundReport> {
  const viaServer = delivery === 'emulator server';
  const label = viaServer ? `${ordering}-senders` : ordering;
  const pgDir = mkdtempSync(join(tmpdir(), 'chaos-pg-'));
  const pgPort = await freePort();
  let pg: EmbeddedDatabase = await startEmbeddedPostgres({ dir: pgDir, database: 'chaos', port: pgPort });
  const callbacks = await startCallbackReceiver();
  const env: Env = { DATABASE_URL: pg.url, DISPATCH_ORDERING: ordering, ...callbacks.env };
  const apiPort = await freePort();
  const api = `http://127.0.0.1:${apiPort}`;
  const services: Logged[] = [];
  const stopAll = async () => {
    for (const s of services) s.child.kill('SIGKILL');
    await Promise.all(services.map((s) => s.exited));
  };
  // With sender accounts: the emulator server, on the same PostgreSQL in a database of its own.
  const inboxUrl = new URL(pg.url);
  let senders: Record<MessengerName, Record<string, string>> | undefined;
  let emulatorUrl = '';
  let startEmulatorServer = (): Logged => {
    throw new Error('no emulator server in this round');
  };
  if (viaServer) {
    inboxUrl.pathname = '/emulators';
    const admin = new Client({ connectionString: pg.url });
    await admin.connect();
    await admin.query('CREATE DATABASE emulators');
    await admin.end();
    const emulatorPort = await freePort();
    emulatorUrl = `http://127.0.0.1:${emulatorPort}`;
    const emulatorEnv = {
      ...env,
      DATABASE_URL: inboxUrl.toString(),
      APP_ROLE: 'emulators',
      PORT: String(emulatorPort),
    };
    startEmulatorServer = () => {
      const server = startService('emulators', label, emulatorEnv);
      services.push(server);
      return server;
    };
    senders = senderAccounts(emulatorUrl);
    const file = join(LOG_DIR, `senders-${label}.json`);
    writeFileSync(
      file,
      JSON.stringify(
        Object.entries(senders).map(([provider, account]) => ({ client: '*', provider, ...account })),
        null,
        2,
      ),
    );
    env.SENDERS_FILE = file;
  }
  try {
    let emulatorServer = viaServer ? startEmulatorServer() : undefined;
    services.push(startService('api', label, { ...env, APP_ROLE: 'api', PORT: String(apiPort) }));
    await waitForHttp(`${api}/docs-json`);
    if (emulatorServer) await waitForHttp(`${emulatorUrl}/emulators/telegram/inbox?limit=1`);
    const workers = [
      startService('worker-1', label, { ...env, APP_ROLE: 'worker' }),
      startService('worker-2', label, { ...env, APP_ROLE: 'worker' }),
    ];
    services.push(...workers);
    log(
      `round ${label}: PostgreSQL on ${pgPort}, API on ${apiPort}, two workers` +
        (viaServer ? `, delivering through sender accounts to the emulator server` : ''),
    );

    const started = Date.now();
    const stats = { unavailable: 0, serverErrors: 0, replays: 0 };
    const requests = plannedRequests(MESSAGES_PER_ROUND);
    const accepted: Accepted[] = [];
    let faulting = true;
    const submitting = (async () => {
      // Spread over the fault timeline (15-40 s), so that requests also meet the database restart; the rest
      // at once when the faults are over.
      const pause = 40_000 / Math.ceil(requests.length / 4);
      for (let i = 0; i < requests.length; i += 4) {
        const answered = await Promise.all(requests.slice(i, i + 4).map((r) => submit(api, r, stats)));
        accepted.push(...answered.flat());
        if (faulting) await sleep(pause);
      }
    })();

    // The faults, on a timeline while traffic flows, each step waiting until its worker is sending.
    let sigkills = 0;
    let sigkillsMidSend = 0;
    let sigtermExit: number | null = null;
    let sigtermMidSend = false;
    let emulatorServerKills = 0;
    const restart = (index: number) => {
      const replacement = startService(`worker-${index + 1}`, label, { ...env, APP_ROLE: 'worker' });
      workers[index] = replacement;
      services.push(replacement);
    };
    for (let t = 0; t < 6; t++) {
      await sleep(2500);
      const index = t % 2;
      await untilSending(workers[index]);
      if (t === 1 && emulatorServer) {
        // Sends in flight lose their answers (or their connection) mid-request; sends while it restarts find
        // no server. The worker about to be killed is sending: give it a second of refused connections.
        log('SIGKILL to the emulator server, then restarting it');
        emulatorServer.child.kill('SIGKILL');
        await emulatorServer.exited;
        emulatorServerKills++;
        emulatorServer = startEmulatorServer();
        await sleep(1000);
      }
      if (attemptsLogged(workers[index]) > 0) sigkillsMidSend++;
      workers[index].child.kill('SIGKILL');
      await workers[index].exited;
      sigkills++;
      if (t === 2) {
        await untilSending(workers[1]);
        log('SIGTERM to worker 2');
        sigtermMidSend = attemptsLogged(workers[1]) > 0;
        workers[1].child.kill('SIGTERM');
        sigtermExit = await workers[1].exited;
        restart(1);
      }
      if (t === 3) {
        log('restarting PostgreSQL');
        await pg.stop();
        await sleep(1500);
        pg = await startEmbeddedPostgres({ dir: pgDir, database: 'chaos', port: pgPort });
      }
      restart(index);
    }
    faulting = false;
    await submitting;
    log(`${accepted.length} messages accepted; waiting for the queue to settle`);

    const db = new Client({ connectionString: pg.url });
    await db.connect();
    // What the messengers received: the emulator server's inbox, or the service's own emulators' (in its database).
    const inboxDb = viaServer ? new Client({ connectionString: inboxUrl.toString() }) : db;
    if (inboxDb !== db) await inboxDb.connect();
    try {
      const deadline = Date.now() + SETTLE_TIMEOUT_MS;
      let lastReport = 0;
      for (;;) {
        const { rows } = await db.query(`SELECT status, count(*)::int AS n FROM messages GROUP BY 1`);
        const open = rows
          .filter((r) => r.status === 'pending' || r.status === 'sending')
          .reduce((sum, r) => sum + r.n, 0);
        if (open === 0 || Date.now() > deadline) break;
        if (Date.now() - lastReport > 10_000) {
          log(`settling: ${rows.map((r) => `${r.status} ${r.n}`).join(', ')}`);
          lastReport = Date.now();
        }
        await sleep(500);
      }
      const settleSeconds = (Date.now() - started) / 1000;
      return {
        round: viaServer ? `${ordering}, senders` : ordering,
        ...(await inspect(db, inboxDb, accepted, ordering)),
        ...(await inspectCallbacks(db, callbacks)),
        delivery,
        ...(await inspectSenders(db, accepted, senders)),
        tokenLines: senders
          ? linesHolding(
              services,
              Object.values(senders).map((account) => account.token),
            )
          : null,
        sigkills,
        sigkillsMidSend,
        sigtermExit,
        sigtermMidSend,
        emulatorServerKills,
        apiUnavailableAnswers: stats.unavailable,
        apiServerErrors: stats.serverErrors,
        settleSeconds: Math.round(settleSeconds),
        messagesPerSecond: Math.round(accepted.length / settleSeconds),
      };
    } finally {
      await db.end();
      if (inboxDb !== db) await inboxDb.end();
    }
  } finally {
    await stopAll();
    await pg.stop();
    await callbacks.close();
  }
}

/**
 * The verdict, from the receiving side (`inbox`'s emulator_inbox: the service's own database, or the emulator
 * server's) and the table (`db`). The inbox may be in another database: its deliveries are read first, per
 * message id (the Idempotency-Key every send carries), and passed to the table's queries.
 */
async function inspect(db: Client, inbox: Client, accepted: Accepted[], ordering: string) {
  const ids = accepted.map((a) => a.id);
  const q = async <T>(sql: string, params: unknown[] = []) => (await db.query(sql, params)).rows as T[];
  const { rows: received } = await inbox.query<{ id: string; n: number; arrival: string }>(
    `SELECT idempotency_key AS id, count(*)::int AS n, min(id)::text AS arrival
     FROM emulator_inbox WHERE idempotency_key IS NOT NULL GROUP BY 1`,
  );
  const deliveries = [received.map((r) => r.id), received.map((r) => r.n), received.map((r) => r.arrival)];
  const [counts] = await q<Record<string, number>>(
    `WITH accepted AS (SELECT unnest($1::uuid[]) AS id),
          deliveries AS (SELECT * FROM unnest($2::uuid[], $3::int[]) AS d(id, n))
     SELECT count(*) FILTER (WHERE d.n = 1)::int AS delivered_once,
            count(*) FILTER (WHERE d.n = 1 AND m.attempts > 1)::int AS delivered_once_after_repeats,
            count(*) FILTER (WHERE d.n > 1)::int AS delivered_more_than_once,
            count(*) FILTER (WHERE d.n IS NULL AND m.status <> 'failed')::int AS lost,
            count(*) FILTER (WHERE m.status = 'sending' AND m.locked_until < now())::int AS stuck,
            count(*) FILTER (WHERE m.status = 'failed')::int AS failed,
            count(*)::int AS accepted
     FROM accepted a JOIN messages m ON m.id = a.id LEFT JOIN deliveries d ON d.id = a.id`,
    [ids, deliveries[0], deliveries[1]],
  );
  const {
    rows: [{ n: duplicateBodies }],
  } = await inbox.query<{ n: number }>(
    `SELECT count(*)::int AS n FROM (SELECT 1 FROM emulator_inbox GROUP BY provider, recipient, body HAVING count(DISTINCT idempotency_key) > 1) x`,
  );
  const reasons = await q<{ code: string; n: number }>(
    `SELECT coalesce(last_error_code, '?') AS code, count(*)::int AS n FROM messages WHERE status = 'failed' GROUP BY 1 ORDER BY 2 DESC`,
  );
  let outOfOrder: number | null = null;
  if (ordering === 'per_recipient') {
    // Out of order: a is earlier than b in their recipient's line (send_at, then acceptance) and a's
    // request had been answered before b's was sent, yet b reached the messenger first. Requests in
    // flight at the same time have no order a client could rely on, so they are not compared.
    const [{ n }] = await q<{ n: number }>(
      `WITH acc AS (SELECT * FROM unnest($1::uuid[], $2::timestamptz[], $3::timestamptz[]) AS a(id, submitted_at, answered_at)),
            i AS (SELECT * FROM unnest($4::uuid[], $5::bigint[]) AS i(id, arrival)),
            d AS (SELECT m.provider, m.recipient, m.send_at, m.created_at, m.id, acc.submitted_at, acc.answered_at,
                         i.arrival
                  FROM messages m JOIN acc ON acc.id = m.id JOIN i ON i.id = m.id)
       SELECT count(*)::int AS n FROM d a JOIN d b
         ON a.provider = b.provider AND a.recipient = b.recipient
        AND (a.send_at, a.created_at, a.id) < (b.send_at, b.created_at, b.id)
        AND a.answered_at < b.submitted_at AND a.arrival > b.arrival`,
      [ids, accepted.map((a) => a.submittedAt), accepted.map((a) => a.answeredAt), deliveries[0], deliveries[2]],
    );
    outOfOrder = n;
  }
  return {
    ordering,
    accepted: counts.accepted,
    deliveredOnce: counts.delivered_once,
    deliveredOnceAfterRepeats: counts.delivered_once_after_repeats,
    deliveredMoreThanOnce: counts.delivered_more_than_once,
    duplicateBodies,
    lost: counts.lost,
    stuck: counts.stuck,
    failed: counts.failed,
    failedReasons: Object.fromEntries(reasons.map((r) => [r.code, r.n])),
    outOfOrder,
  };
}

/** How many lines of these services' logs hold one of `secrets`. */
function linesHolding(services: readonly Logged[], secrets: readonly string[]): number {
  return services
    .flatMap((service) => readFileSync(service.logFile, 'utf8').split('\n'))
    .filter((line) => secrets.some((secret) => line.includes(secret))).length;
}

/**
 * With sender accounts: whether every message recorded its messenger's account as its sender (GET shows it),
 * and that nothing reached the service's own emulators instead of the emulator server.
 */
async function inspectSenders(
  db: Client,
  accepted: Accepted[],
  senders: Record<MessengerName, Record<string, string>> | undefined,
) {
  if (!senders) return { withoutSender: null, otherSender: null, inProcessDeliveries: null };
  const accounts = Object.entries(senders);
  const {
    rows: [counts],
  } = await db.query<{ without_sender: number; other_sender: number }>(
    `SELECT count(*) FILTER (WHERE m.sender IS NULL)::int AS without_sender,
            count(*) FILTER (WHERE m.sender IS NOT NULL AND m.sender IS DISTINCT FROM s.name)::int AS other_sender
     FROM unnest($1::uuid[]) AS a(id) JOIN messages m ON m.id = a.id
     LEFT JOIN unnest($2::text[], $3::text[]) AS s(provider, name) ON s.provider = m.provider`,
    [accepted.map((a) => a.id), accounts.map(([provider]) => provider), accounts.map(([, account]) => account.name)],
  );
  const {
    rows: [{ n: inProcessDeliveries }],
  } = await db.query<{ n: number }>(`SELECT count(*)::int AS n FROM emulator_inbox`);
  return { withoutSender: counts.without_sender, otherSender: counts.other_sender, inProcessDeliveries };
}

async function main() {
  // Three minutes a round: a round takes about two on 2 busy cores.
  const minutes = 3 * PLANS.length;
  const deadline = setTimeout(() => {
    console.error(`chaos: over ${minutes} minutes, giving up`);
    process.exit(2);
  }, minutes * 60_000);
  const reports: RoundReport[] = [];
  for (const plan of PLANS) reports.push(await round(plan));
  clearTimeout(deadline);

  console.table(
    reports.map((r) => ({
      round: r.round,
      accepted: r.accepted,
      'delivered once': r.deliveredOnce,
      '…of them after >1 attempt': r.deliveredOnceAfterRepeats,
      'delivered >1': r.deliveredMoreThanOnce,
      lost: r.lost,
      stuck: r.stuck,
      failed: r.failed,
      'out of order': r.outOfOrder ?? '-',
      ...(reports.some((x) => x.delivery === 'emulator server') && {
        'no sender': r.withoutSender ?? '-',
        'other sender': r.otherSender ?? '-',
        'in-process deliveries': r.inProcessDeliveries ?? '-',
        'emulator server SIGKILLs': r.emulatorServerKills,
        'log lines with a token': r.tokenLines ?? '-',
      }),
      'SIGKILLs (mid-send)': `${r.sigkills} (${r.sigkillsMidSend})`,
      'SIGTERM exit': `${r.sigtermExit}${r.sigtermMidSend ? ' (mid-send)' : ''}`,
      '503s': r.apiUnavailableAnswers,
      'other 5xx': r.apiServerErrors,
      'settled (s)': r.settleSeconds,
      'msg/s': r.messagesPerSecond,
    })),
  );
  console.table(
    reports.map((r) => ({
      round: r.round,
      'callback events': r.callbackEvents,
      'missing events': r.callbacksMissing,
      'never delivered': r.callbacksLost,
      'delivered >1': r.callbacksDeliveredMoreThanOnce,
      dead: r.callbacksDead,
      requests: r.callbackRequests,
      'refused (500)': r.callbacksRefusedByReceiver,
      'bad signatures': r.callbackBadSignatures,
    })),
  );
  for (const r of reports) console.log(`failed (${r.round}) by code: ${JSON.stringify(r.failedReasons)}`);
  mkdirSync(join(ROOT, 'bench-results'), { recursive: true });
  writeFileSync(
    join(ROOT, 'bench-results/chaos.json'),
    JSON.stringify({ at: new Date().toISOString(), rounds: reports }, null, 2),
  );
  log(`written to bench-results/chaos.json; the services' logs are in ${LOG_DIR}`);

  const violations = reports.flatMap((r) => [
    ...(r.lost ? [`${r.round}: ${r.lost} lost`] : []),
    ...(r.deliveredMoreThanOnce || r.duplicateBodies
      ? [`${r.round}: ${r.deliveredMoreThanOnce + r.duplicateBodies} delivered twice`]
      : []),
    ...(r.stuck ? [`${r.round}: ${r.stuck} stuck`] : []),
    ...(r.outOfOrder ? [`${r.round}: ${r.outOfOrder} out of order`] : []),
    ...(r.sigtermExit !== 0 ? [`${r.round}: SIGTERM exit code ${r.sigtermExit}`] : []),
    ...(r.withoutSender ? [`${r.round}: ${r.withoutSender} without a sender`] : []),
    ...(r.otherSender ? [`${r.round}: ${r.otherSender} with another messenger's sender`] : []),
    ...(r.tokenLines ? [`${r.round}: ${r.tokenLines} log lines with a token`] : []),
    ...(r.inProcessDeliveries ? [`${r.round}: ${r.inProcessDeliveries} delivered by the in-process emulators`] : []),
    ...(r.apiServerErrors ? [`${r.round}: ${r.apiServerErrors} answers 5xx other than 503`] : []),
    ...callbackViolations(r.round, r),
  ]);
  if (violations.length > 0) {
    console.error(`chaos: FAILED — ${violations.join('; ')}`);
    process.exit(1);
  }
  log(
    'chaos: passed — nothing lost, duplicated or stuck' +
      (reports.some((r) => r.outOfOrder === 0) ? ', nothing out of order' : ''),
  );
  process.exit(0);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
