import { plainToInstance } from 'class-transformer';
import { ApiKey, parseApiKeys } from '../auth/api-keys';
import { DEFAULT_CALLBACK_SCHEDULE, type CallbackSchedule } from '../callbacks/callback-schedule';
import { callbackSettingsProblems, parseCallbackSecrets, parseCallbackUrls } from '../callbacks/callback-settings';
import type { WebhookSecret } from '../callbacks/webhook-signature';
import { parseOrigins } from '../common/cors-origins';
import type { ConnectionBounds } from '../database/bounded-pg-client';
import { parseEmulatorOverrides } from '../providers/emulators/emulator-profile';
import { MESSENGER_NAMES, type MessengerName } from '../providers/messengers';
import { readSenderAccounts } from '../providers/senders/sender-accounts';
import { IsIn, IsIP, IsOptional, IsString, Matches, validateSync } from 'class-validator';
import { IsCronExpression } from './validators/cron-expression';
import { IsDuration, parseDuration } from './validators/duration';
import { NumberSetting } from './validators/number-setting';
import { ParsesWith } from './validators/parses-with';

export const APP_ROLES = ['all', 'api', 'worker', 'emulators'] as const;
export type AppRole = (typeof APP_ROLES)[number];

const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

/** A per-messenger emulator override that parses (see parseEmulatorOverrides). */
function IsEmulatorOverrides(): PropertyDecorator {
  return ParsesWith(parseEmulatorOverrides);
}

/** Never quoted in an error message: it holds secrets. */
const SECRET_SETTINGS = new Set(['API_KEYS', 'CALLBACK_SECRETS']);

/**
 * Every setting the service reads, validated once at start-up. Nothing else in the code base reads
 * process.env: modules inject this class, and tests construct it with `loadConfig({...})`.
 */
export class AppConfig {
  /** postgres://user:pass@host:port/db. Unset: an embedded PostgreSQL is started under ./.data. */
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\//, { message: 'must be a postgres:// URL' })
  DATABASE_URL?: string = undefined;

  /**
   * The longest one SQL statement may take; past it the statement fails (a request answers 503
   * DATABASE_UNAVAILABLE) and its connection is closed. The timer runs in this process, so it holds when
   * the server is frozen or cut off, where statement_timeout never fires. Migrations are exempt.
   */
  @NumberSetting({ min: 100, max: 600_000 })
  DATABASE_QUERY_TIMEOUT_MS = 5_000;

  /** The longest a statement waits for a connection: a free one in the pool, or a new one to connect. */
  @NumberSetting({ min: 100, max: 600_000 })
  DATABASE_CONNECT_TIMEOUT_MS = 3_000;

  @IsString()
  NODE_ENV: string = 'development';

  @NumberSetting({ min: 0, max: 65535 })
  PORT = 3000;

  /**
   * The address PORT and HEALTH_PORT listen on. Every interface by default: in a container that is what
   * makes the port reachable through its published mapping. 127.0.0.1: this machine only.
   */
  @IsIP(undefined, {
    message: 'must be an IP address to listen on, e.g. 0.0.0.0 (every interface) or 127.0.0.1 (this machine only)',
  })
  HOST = '0.0.0.0';

  /**
   * all: API and scheduler in one process; api / worker: one of them, so workers scale apart. emulators: neither,
   * but the three messengers' APIs over HTTP on PORT (the emulator server: a stand-in for them in staging).
   */
  @IsIn(APP_ROLES)
  APP_ROLE: AppRole = 'all';

  /**
   * A worker's own HTTP listener, for /health/* and /metrics only (the api and all roles serve them on PORT).
   * Unset: a worker listens on no port at all, so any number of them can run on one machine.
   */
  @IsOptional()
  @NumberSetting({ min: 1, max: 65535 })
  HEALTH_PORT?: number = undefined;

  /**
   * The API's clients, `name:secret,name:secret`. A request sends `Authorization: Bearer <secret>` and acts as
   * that client: it sees only that client's messages. Unset: open mode, where every request is client
   * "default"; refused when NODE_ENV=production and the process serves the API.
   */
  @IsOptional()
  @ParsesWith(parseApiKeys)
  API_KEYS?: string = undefined;

  /** Requests a second that one client may make, in this process (0: no limit). */
  @NumberSetting({ min: 0, max: 1_000_000 })
  API_RATE_LIMIT_PER_SECOND = 1000;

  /** Requests one client may make at once; unset: two seconds' worth of API_RATE_LIMIT_PER_SECOND. */
  @IsOptional()
  @NumberSetting({ min: 1, max: 100_000_000 })
  API_RATE_LIMIT_BURST?: number = undefined;

  /** The largest request body accepted, in bytes; larger ones are answered 413. */
  @NumberSetting({ min: 1024, max: 100 * 1024 * 1024 })
  API_BODY_LIMIT_BYTES = 1024 * 1024;

  /**
   * A request's line, headers and body must all arrive within this long of its start, or it is answered
   * 408 and its connection closed: a client that stalls cannot hold a connection. At most 30 s.
   */
  @NumberSetting({ min: 500, max: 30_000 })
  HTTP_REQUEST_TIMEOUT_MS = 30_000;

  /**
   * Bytes of request bodies being read or handled at once; past it a request with a body is answered 503
   * OVERLOADED before its body is read. The default holds 8 of the largest valid requests (~130 KB).
   */
  @NumberSetting({ min: 1024, max: 1024 * 1024 * 1024 })
  API_MAX_BYTES_IN_FLIGHT = 1024 * 1024;

  /**
   * Recipients of POST /messages requests being handled at once; past it a request is answered 503
   * OVERLOADED before it is validated. Each 1000 hold ~2.5 MB of heap; the default (four of the largest
   * requests) keeps the event loop free enough to answer probes within a second (docs/api.md, Overload).
   */
  @NumberSetting({ min: 1, max: 10_000_000 })
  API_MAX_RECIPIENTS_IN_FLIGHT = 4000;

  /** Origins a browser may call the API from, comma-separated. Unset: no CORS headers at all. */
  @IsOptional()
  @ParsesWith(parseOrigins)
  CORS_ORIGINS?: string = undefined;

  /** json: one object a line (production); pretty: one readable line each, for a terminal. */
  @IsOptional()
  @IsIn(LOG_FORMATS)
  LOG_FORMAT?: LogFormat = undefined;

  /** The least severe level written; request lines are info, failed attempts warn. */
  @IsIn(LOG_LEVELS)
  LOG_LEVEL: LogLevel = 'info';

  /** Six-field cron expression (seconds first) of the sweep that drains due messages. */
  @IsCronExpression()
  DISPATCH_CRON = '*/10 * * * * *';

  @NumberSetting({ min: 1, max: 10_000 })
  DISPATCH_BATCH_SIZE = 100;

  @NumberSetting({ min: 1, max: 1_000 })
  DISPATCH_CONCURRENCY = 20;

  /** How long a claimed row stays ours; past it another worker may claim the row again. */
  @NumberSetting({ min: 1, max: 86_400 })
  DISPATCH_LEASE_SECONDS = 60;

  /** One attempt slower than this counts as a transient failure, so a hung messenger can't outlive the lease. */
  @NumberSetting({ min: 1, max: 600_000 })
  DISPATCH_SEND_TIMEOUT_MS = 10_000;

  @NumberSetting({ min: 0, max: 100 })
  MAX_RETRIES = 5;

  @NumberSetting({ min: 1 })
  RETRY_BASE_DELAY_MS = 1_000;

  @NumberSetting({ min: 1 })
  RETRY_MAX_DELAY_MS = 300_000;

  /** per_recipient: a message waits while an earlier one to the same recipient is queued or in flight. */
  @IsIn(['none', 'per_recipient'])
  DISPATCH_ORDERING: 'none' | 'per_recipient' = 'none';

  /** on: stay under each messenger's limits (overall rate, and per recipient); off: send as fast as claimed. */
  @IsIn(['on', 'off'])
  DISPATCH_PACING: 'on' | 'off' = 'on';

  // DISPATCH_RATE_<MESSENGER>, one per messenger: see MESSENGER_SETTINGS below the class.

  /**
   * A JSON file of sender accounts: the messenger credentials each client's messages go out with (README, Going
   * live). Unset: every message goes to the built-in emulators. Read at start-up, where a bad file stops the
   * service (naming the entry, never a token), then re-read every SENDERS_POLL_INTERVAL_MS.
   */
  @IsOptional()
  @IsString()
  SENDERS_FILE?: string = undefined;

  /** How often SENDERS_FILE is read again; a bad new version is reported and the old accounts kept. */
  @NumberSetting({ min: 100, max: 3_600_000 })
  SENDERS_POLL_INTERVAL_MS = 5_000;

  /**
   * A sender account whose credentials the messenger refused is paused: its messages wait, and one of them is
   * tried this often (one at a time, whichever worker) to find out whether the credentials work again.
   */
  @NumberSetting({ min: 100, max: 3_600_000 })
  SENDER_PROBE_INTERVAL_MS = 30_000;

  /** Share of sends the emulators answer with a transient error (every messenger; see EMULATOR_<MESSENGER>). */
  @NumberSetting({ min: 0, max: 1, integer: false })
  EMULATOR_FAILURE_RATE = 0.02;

  /** Share answered "slow down" at random, on top of the enforced limits (drawn after the transient share). */
  @NumberSetting({ min: 0, max: 1, integer: false })
  EMULATOR_RATE_LIMITED_RATE = 0.002;

  /** Share refused for good at random (unknown chat, blocked bot, closed window…), drawn last. */
  @NumberSetting({ min: 0, max: 1, integer: false })
  EMULATOR_PERMANENT_RATE = 0.001;

  /** Share of accepted sends whose answer is lost (delivered, yet the dispatcher times out): the ambiguous case. */
  @NumberSetting({ min: 0, max: 1, integer: false })
  EMULATOR_LOST_ANSWER_RATE = 0;

  /**
   * on: the emulators record what they accept (emulator_inbox) and honour idempotency keys across
   * processes. off: neither, which takes the emulators' own database work out of throughput benchmarks.
   */
  @IsIn(['on', 'off'])
  EMULATOR_INBOX: 'on' | 'off' = 'on';

  /** Makes the emulators' outcomes reproducible; unset means a random seed. */
  @IsOptional()
  @NumberSetting({ min: -(2 ** 31), max: 2 ** 32 })
  EMULATOR_SEED?: number = undefined;

  /** Median simulated latency of one send; the tail is log-normal (p99 about 3× the median). */
  @NumberSetting({ min: 0, max: 60_000 })
  EMULATOR_LATENCY_MS = 50;

  // EMULATOR_<MESSENGER>, one per messenger: see MESSENGER_SETTINGS below the class.

  /**
   * Finished messages (sent, failed, cancelled) older than this (since they finished) are removed by the
   * workers, with their attempts and inbox rows. Unset: kept forever, so an upgrade deletes nothing.
   */
  @IsOptional()
  @IsDuration()
  MESSAGE_RETENTION?: string = undefined;

  /**
   * How long a removed message still dedups (since it finished), through its compact dedup record.
   * Unset: forever.
   */
  @IsOptional()
  @IsDuration()
  DEDUP_RETENTION?: string = undefined;

  /** How often a worker looks for expired rows. */
  @IsDuration()
  RETENTION_INTERVAL = '1m';

  /** Rows removed per statement: small, so each statement holds its locks briefly. */
  @NumberSetting({ min: 1, max: 100_000 })
  RETENTION_BATCH_SIZE = 1000;

  /** Least pause between two batches of one run (it is also at least the last batch's time), so the removal yields to dispatch. */
  @NumberSetting({ min: 0, max: 60_000 })
  RETENTION_PAUSE_MS = 50;
  // Status callbacks (src/callbacks): where each client's are sent, how they are signed, how they are retried.

  /**
   * The clients' callback secrets, `name:whsec_…` pairs, the names those of API_KEYS. A client without one
   * cannot ask for callbacks. A client listed twice signs with both secrets (a rotation).
   */
  @IsOptional()
  @ParsesWith(parseCallbackSecrets)
  CALLBACK_SECRETS?: string = undefined;

  /** The URL a client's callbacks go to when its POST /messages names none, `name:url` pairs. */
  @IsOptional()
  @IsString()
  CALLBACK_URLS?: string = undefined;

  /** true: callbacks may go to loopback, private and link-local addresses (tests, internal receivers). */
  @IsIn(['true', 'false'])
  CALLBACK_ALLOW_PRIVATE_NETWORKS: 'true' | 'false' = 'false';

  /** The most the first retry of a callback waits; each later wait may be CALLBACK_RETRY_FACTOR times longer. */
  @NumberSetting({ min: 1, max: 86_400_000 })
  CALLBACK_RETRY_BASE_DELAY_MS = DEFAULT_CALLBACK_SCHEDULE.baseDelayMs;

  @NumberSetting({ min: 1, max: 100, integer: false })
  CALLBACK_RETRY_FACTOR = DEFAULT_CALLBACK_SCHEDULE.factor;

  /** The longest wait between two attempts of one callback. */
  @NumberSetting({ min: 1, max: 86_400_000 })
  CALLBACK_RETRY_MAX_DELAY_MS = DEFAULT_CALLBACK_SCHEDULE.maxDelayMs;

  /** How long after its first attempt a callback is still retried; then it is dead. */
  @NumberSetting({ min: 1, max: 30 * 86_400_000 })
  CALLBACK_RETRY_HORIZON_MS = DEFAULT_CALLBACK_SCHEDULE.horizonMs;

  /** One attempt gets this long for its answer; then it counts as no answer. */
  @NumberSetting({ min: 100, max: 60_000 })
  CALLBACK_TIMEOUT_MS = 5_000;

  /** How often an idle worker looks for callbacks due. */
  @NumberSetting({ min: 10, max: 60_000 })
  CALLBACK_POLL_INTERVAL_MS = 1_000;

  /** Callbacks claimed at once, and delivered at once, by one worker. */
  @NumberSetting({ min: 1, max: 1_000 })
  CALLBACK_BATCH_SIZE = 50;

  /** How long a claimed callback stays this worker's; past it another worker delivers it (again). */
  @NumberSetting({ min: 1_000, max: 3_600_000 })
  CALLBACK_LEASE_MS = 60_000;

  /** Each client's callback secrets (CALLBACK_SECRETS). */
  get callbackSecrets(): Map<string, WebhookSecret[]> {
    return this.CALLBACK_SECRETS ? parseCallbackSecrets(this.CALLBACK_SECRETS).secrets : new Map();
  }

  /** Each client's default callback URL (CALLBACK_URLS). */
  get callbackUrls(): Map<string, string> {
    return this.CALLBACK_URLS
      ? parseCallbackUrls(this.CALLBACK_URLS, { allowPrivate: this.callbacksMayReachPrivateNetworks }).urls
      : new Map();
  }

  get callbacksMayReachPrivateNetworks(): boolean {
    return this.CALLBACK_ALLOW_PRIVATE_NETWORKS === 'true';
  }

  get callbackSchedule(): CallbackSchedule {
    return {
      baseDelayMs: this.CALLBACK_RETRY_BASE_DELAY_MS,
      factor: this.CALLBACK_RETRY_FACTOR,
      maxDelayMs: this.CALLBACK_RETRY_MAX_DELAY_MS,
      horizonMs: this.CALLBACK_RETRY_HORIZON_MS,
    };
  }

  constructor() {
    for (const key of Object.keys(MESSENGER_SETTINGS)) Object.assign(this, { [key]: undefined });
  }

  /** DISPATCH_RATE_<MESSENGER>: sends per second to it (0: unpaced); undefined: 95% of its documented limit. */
  dispatchRate(messenger: MessengerName): number | undefined {
    return this.messengerSetting('DISPATCH_RATE', messenger) as number | undefined;
  }

  /** EMULATOR_<MESSENGER>: its emulator's overrides of the EMULATOR_* settings (see parseEmulatorOverrides). */
  emulatorOverrides(messenger: MessengerName): string | undefined {
    return this.messengerSetting('EMULATOR', messenger) as string | undefined;
  }

  private messengerSetting(prefix: string, messenger: MessengerName): unknown {
    return (this as unknown as Record<string, unknown>)[`${prefix}_${messenger.toUpperCase()}`];
  }

  /** DATABASE_CONNECT_TIMEOUT_MS and DATABASE_QUERY_TIMEOUT_MS, as BoundedPgClient takes them. */
  get databaseBounds(): ConnectionBounds {
    return { connectTimeoutMs: this.DATABASE_CONNECT_TIMEOUT_MS, queryTimeoutMs: this.DATABASE_QUERY_TIMEOUT_MS };
  }

  /** The configured keys; none means open mode. */
  get apiKeys(): ApiKey[] {
    return this.API_KEYS ? parseApiKeys(this.API_KEYS).keys : [];
  }

  /**
   * The per-client limit as fixed windows: `max` requests per `windowMs`. A window holds the burst, and lasts as
   * long as the steady rate takes to earn it, so a client averages at most API_RATE_LIMIT_PER_SECOND yet may
   * send the whole burst at once. Null when the limit is off.
   */
  get rateLimit(): { max: number; windowMs: number } | null {
    const perSecond = this.API_RATE_LIMIT_PER_SECOND;
    if (perSecond === 0) return null;
    const burst = this.API_RATE_LIMIT_BURST ?? 2 * perSecond;
    return { max: burst, windowMs: Math.round((burst / perSecond) * 1000) };
  }

  get corsOrigins(): string[] {
    return this.CORS_ORIGINS ? parseOrigins(this.CORS_ORIGINS).origins : [];
  }

  get logFormat(): LogFormat {
    return this.LOG_FORMAT ?? (this.NODE_ENV === 'production' ? 'json' : 'pretty');
  }

  get runsApi(): boolean {
    return this.APP_ROLE === 'all' || this.APP_ROLE === 'api';
  }

  get runsWorker(): boolean {
    return this.APP_ROLE === 'all' || this.APP_ROLE === 'worker';
  }

  /** The emulator server: the messengers' APIs over HTTP, and nothing of the dispatch service. */
  get runsEmulators(): boolean {
    return this.APP_ROLE === 'emulators';
  }

  /** MESSAGE_RETENTION in seconds; undefined: keep every message. */
  get messageRetentionSeconds(): number | undefined {
    return this.MESSAGE_RETENTION === undefined ? undefined : parseDuration(this.MESSAGE_RETENTION).seconds;
  }

  /** DEDUP_RETENTION in seconds; undefined: keep every dedup record. */
  get dedupRetentionSeconds(): number | undefined {
    return this.DEDUP_RETENTION === undefined ? undefined : parseDuration(this.DEDUP_RETENTION).seconds;
  }

  get retentionIntervalMs(): number {
    return (parseDuration(this.RETENTION_INTERVAL).seconds ?? 60) * 1000;
  }
}

/**
 * The settings each messenger has, named after it: DISPATCH_RATE_<MESSENGER> and EMULATOR_<MESSENGER>,
 * decorated as the class's own properties are (the decorator nearest the property first).
 */
const MESSENGER_SETTINGS: Readonly<Record<string, readonly PropertyDecorator[]>> = Object.fromEntries(
  MESSENGER_NAMES.flatMap((messenger) => [
    [
      `DISPATCH_RATE_${messenger.toUpperCase()}`,
      [NumberSetting({ min: 0, max: 100_000, integer: false }), IsOptional()],
    ],
    // Per-messenger overrides, e.g. "failure_rate=0.1,latency_ms=200,limit=30/1000,recipient_interval_ms=0".
    [`EMULATOR_${messenger.toUpperCase()}`, [IsEmulatorOverrides(), IsOptional()]],
  ]),
);
for (const [key, decorators] of Object.entries(MESSENGER_SETTINGS)) {
  for (const decorate of decorators) decorate(AppConfig.prototype, key);
}

export class InvalidConfigError extends Error {}

/** Reads and validates the environment; throws one error that names every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  const known = Object.keys(new AppConfig());
  const relevant = Object.fromEntries(
    Object.entries(env).filter(([key, value]) => known.includes(key) && value !== undefined && value !== ''),
  );
  const config = plainToInstance(AppConfig, relevant, { exposeDefaultValues: true });
  const problems = validateSync(config, { forbidUnknownValues: false, stopAtFirstError: true }).flatMap((error) =>
    Object.values(error.constraints ?? {}).map(
      (reason) =>
        `${error.property}=${SECRET_SETTINGS.has(error.property) ? '(not shown)' : JSON.stringify(env[error.property])}: ` +
        reason.replace(`${error.property} `, ''),
    ),
  );
  // The checks across variables only make sense once each variable is valid on its own.
  if (problems.length > 0) throw new InvalidConfigError(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  if (config.RETRY_MAX_DELAY_MS < config.RETRY_BASE_DELAY_MS) {
    problems.push('RETRY_MAX_DELAY_MS: must not be smaller than RETRY_BASE_DELAY_MS');
  }
  if (config.NODE_ENV === 'production' && config.runsApi && !config.API_KEYS) {
    problems.push(
      `API_KEYS: must be set when NODE_ENV=production and the process serves the API (APP_ROLE=${config.APP_ROLE}): ` +
        'without keys the API is open to anyone who can reach it',
    );
  }
  if (config.API_RATE_LIMIT_BURST !== undefined && config.API_RATE_LIMIT_BURST < config.API_RATE_LIMIT_PER_SECOND) {
    problems.push(
      `API_RATE_LIMIT_BURST: must be at least API_RATE_LIMIT_PER_SECOND (${config.API_RATE_LIMIT_PER_SECOND})`,
    );
  }
  const worstBatchMs =
    Math.ceil(config.DISPATCH_BATCH_SIZE / config.DISPATCH_CONCURRENCY) * config.DISPATCH_SEND_TIMEOUT_MS;
  if (worstBatchMs >= config.DISPATCH_LEASE_SECONDS * 1000) {
    problems.push(
      `DISPATCH_LEASE_SECONDS: must exceed the longest a batch can take ` +
        `(ceil(DISPATCH_BATCH_SIZE / DISPATCH_CONCURRENCY) × DISPATCH_SEND_TIMEOUT_MS = ${worstBatchMs} ms), ` +
        `or a slow batch would lose its rows to another worker while still sending them`,
    );
  }
  problems.push(...callbackProblems(config));
  if (config.SENDERS_FILE !== undefined) {
    // Each problem names SENDERS_FILE and its entry, and never quotes a token (readSenderAccounts).
    problems.push(...readSenderAccounts(config.SENDERS_FILE).problems);
  }
  if (problems.length > 0) {
    throw new InvalidConfigError(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
  return config;
}

/** The callback settings checked against each other; no problem quotes a secret or a URL. */
function callbackProblems(config: AppConfig): string[] {
  const problems: string[] = [];
  const { urls, problems: urlProblems } = config.CALLBACK_URLS
    ? parseCallbackUrls(config.CALLBACK_URLS, { allowPrivate: config.callbacksMayReachPrivateNetworks })
    : { urls: new Map<string, string>(), problems: [] };
  problems.push(...urlProblems.map((problem) => `CALLBACK_URLS: ${problem}`));
  problems.push(...callbackSettingsProblems(config.callbackSecrets, urls));
  if (config.CALLBACK_RETRY_MAX_DELAY_MS < config.CALLBACK_RETRY_BASE_DELAY_MS) {
    problems.push('CALLBACK_RETRY_MAX_DELAY_MS: must not be smaller than CALLBACK_RETRY_BASE_DELAY_MS');
  }
  // A lease shorter than an attempt would hand callbacks still being delivered to another worker.
  if (config.CALLBACK_LEASE_MS < 2 * config.CALLBACK_TIMEOUT_MS) {
    problems.push(
      `CALLBACK_LEASE_MS: must be at least twice CALLBACK_TIMEOUT_MS (${2 * config.CALLBACK_TIMEOUT_MS} ms), ` +
        'or a callback still being delivered could be claimed and delivered again by another worker',
    );
  }
  return problems;
}
