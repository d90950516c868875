import { plainToInstance, Transform } from 'class-transformer';
import { CronTime } from 'cron';
import {
  IsIn,
  IsInt,
  IsNumber,
  IsOptional,
  IsString,
  Matches,
  Max,
  Min,
  validateSync,
} from 'class-validator';

export const APP_ROLES = ['all', 'api', 'worker'] as const;
export type AppRole = (typeof APP_ROLES)[number];

const LOG_FORMATS = ['json', 'pretty'] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

const toInt = ({ value }: { value: unknown }) =>
  value === undefined || value === '' ? undefined : Number(value);

/**
 * Every setting the service reads, validated once at start-up. Nothing else in the code base reads
 * process.env: modules inject this class, and tests construct it with `loadConfig({...})`.
 */
export class AppConfig {
  /** postgres://user:pass@host:port/db. Unset: an embedded PostgreSQL is started under ./.data. */
  @IsOptional()
  @Matches(/^postgres(ql)?:\/\//, { message: 'must be a postgres:// URL' })
  DATABASE_URL?: string;

  @IsString()
  NODE_ENV: string = 'development';

  @Transform(toInt) @IsInt() @Min(0) @Max(65535)
  PORT = 3000;

  /** all: API and scheduler in one process; api / worker: one of them, so workers scale apart. */
  @IsIn(APP_ROLES)
  APP_ROLE: AppRole = 'all';

  /** json: one object a line (production); pretty: coloured lines for a terminal. */
  @IsOptional() @IsIn(LOG_FORMATS)
  LOG_FORMAT?: LogFormat;

  /** Six-field cron expression (seconds first) of the sweep that drains due messages. */
  @Matches(/^(\S+\s+){5}\S+$/, { message: 'must be a six-field cron expression, e.g. "*/10 * * * * *"' })
  DISPATCH_CRON = '*/10 * * * * *';

  @Transform(toInt) @IsInt() @Min(1) @Max(10_000)
  DISPATCH_BATCH_SIZE = 100;

  @Transform(toInt) @IsInt() @Min(1) @Max(1_000)
  DISPATCH_CONCURRENCY = 20;

  /** How long a claimed row stays ours; past it another worker may claim the row again. */
  @Transform(toInt) @IsInt() @Min(1) @Max(86_400)
  DISPATCH_LEASE_SECONDS = 60;

  /** One attempt slower than this counts as a transient failure, so a hung messenger can't outlive the lease. */
  @Transform(toInt) @IsInt() @Min(1) @Max(600_000)
  DISPATCH_SEND_TIMEOUT_MS = 10_000;

  @Transform(toInt) @IsInt() @Min(0) @Max(100)
  MAX_RETRIES = 5;

  @Transform(toInt) @IsInt() @Min(1)
  RETRY_BASE_DELAY_MS = 1_000;

  @Transform(toInt) @IsInt() @Min(1)
  RETRY_MAX_DELAY_MS = 300_000;

  @Transform(toInt) @IsNumber({ allowNaN: false }) @Min(0) @Max(1)
  EMULATOR_FAILURE_RATE = 0.05;

  /** Makes the emulators' outcomes reproducible; unset means a random seed. */
  @IsOptional() @Transform(toInt) @IsInt()
  EMULATOR_SEED?: number;

  /** Mean simulated network latency of one send; each call takes 0.5×–1.5× of it. */
  @Transform(toInt) @IsInt() @Min(0) @Max(60_000)
  EMULATOR_LATENCY_MS = 50;

  get logFormat(): LogFormat {
    return this.LOG_FORMAT ?? (this.NODE_ENV === 'production' ? 'json' : 'pretty');
  }

  get runsApi(): boolean {
    return this.APP_ROLE !== 'worker';
  }

  get runsWorker(): boolean {
    return this.APP_ROLE !== 'api';
  }
}

export class InvalidConfigError extends Error {}

/** Reads and validates the environment; throws one error that names every bad variable. */
export function loadConfig(env: Record<string, string | undefined> = process.env): AppConfig {
  const known = Object.keys(new AppConfig()).concat('DATABASE_URL', 'LOG_FORMAT', 'EMULATOR_SEED');
  const relevant = Object.fromEntries(
    Object.entries(env).filter(([key, value]) => known.includes(key) && value !== undefined && value !== ''),
  );
  const config = plainToInstance(AppConfig, relevant, { exposeDefaultValues: true });
  const problems = validateSync(config, { forbidUnknownValues: false }).flatMap((error) =>
    Object.values(error.constraints ?? {}).map(
      (reason) => `${error.property}=${JSON.stringify(env[error.property])}: ${reason}`,
    ),
  );
  try {
    new CronTime(config.DISPATCH_CRON);
  } catch (error) {
    problems.push(`DISPATCH_CRON=${JSON.stringify(config.DISPATCH_CRON)}: ${(error as Error).message}`);
  }
  if (config.RETRY_MAX_DELAY_MS < config.RETRY_BASE_DELAY_MS) {
    problems.push('RETRY_MAX_DELAY_MS: must not be smaller than RETRY_BASE_DELAY_MS');
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
  if (problems.length > 0) {
    throw new InvalidConfigError(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
  }
  return config;
}
