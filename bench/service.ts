/**
 * The service as the bench tools run it (bench.ts, retention.ts, chaos.ts): a real process on loopback with
 * a tool's base environment and a run's overrides, stopped as an orchestrator stops it.
 */
import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { openSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { migrations } from '../src/database/migrations';
import { MESSENGER_NAMES, type MessengerName } from '../src/providers/messengers';
import { freePort, IMAGE_NODE_OPTIONS, waitFor } from '../test/support/service-process';
import { databaseUrl, withAdminClient } from '../test/support/test-database';

export { freePort, IMAGE_NODE_OPTIONS };

export const ROOT = resolve(__dirname, '..');

export type Env = Record<string, string>;

export interface Service {
  readonly name: string;
  readonly child: ChildProcess;
  /** Its exit code (null when a signal ended it). */
  readonly exited: Promise<number | null>;
}

export interface ServiceOptions {
  /** What logs call it; the script's file name by default. */
  readonly name?: string;
  /** The script node runs, from the project root: the compiled service by default. A .ts file runs through ts-node. */
  readonly script?: string;
  /** Node's own flags, before the script (e.g. --cpu-prof). */
  readonly nodeFlags?: readonly string[];
  /** Where its stdout and stderr go; unset: stdout is dropped and stderr goes to ours. */
  readonly logFile?: string;
  /** An IPC channel to it (process.send in the child). */
  readonly ipc?: boolean;
}

/** Starts a process with `base` and then `overrides` as its environment (and PATH, nothing else of ours). */
export function startService(base: Env, overrides: Env = {}, options: ServiceOptions = {}): Service {
  const script = options.script ?? 'dist/main.js';
  const typescript = script.endsWith('.ts');
  const output = options.logFile === undefined ? (['ignore', 'inherit'] as const) : openSync(options.logFile, 'w');
  const child = spawn(
    process.execPath,
    [...(options.nodeFlags ?? []), ...(typescript ? ['-r', 'ts-node/register'] : []), join(ROOT, script)],
    {
      cwd: ROOT,
      env: { PATH: process.env.PATH, ...(typescript && { TS_NODE_TRANSPILE_ONLY: 'true' }), ...base, ...overrides },
      stdio: [
        'ignore',
        ...(typeof output === 'number' ? [output, output] : output),
        ...(options.ipc ? (['ipc'] as const) : []),
      ],
    },
  );
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  return { name: options.name ?? script, child, exited };
}

/** Whether it is still running (neither exited nor ended by a signal). */
export function running(service: Service): boolean {
  return service.child.exitCode === null && service.child.signalCode === null;
}

/** Stops it as an orchestrator does (SIGTERM) and waits for it: its exit code. */
export async function stop(service: Service): Promise<number | null> {
  service.child.kill('SIGTERM');
  return service.exited;
}

/** Polls `check` every 50 ms until it holds; fails naming `what` after `timeoutMs`. */
export const until = (what: string, check: () => Promise<boolean>, timeoutMs: number): Promise<void> =>
  waitFor(what, check, timeoutMs);

/** Runs `work` on a connection to `serverUrl` itself (to create and drop databases). */
export const onServer = <T>(serverUrl: string, work: (admin: Client) => Promise<T>): Promise<T> =>
  withAdminClient(serverUrl, work);

/**
 * A fresh database `name` on `serverUrl` (an older one of that name is dropped), connected: a copy of
 * `template`, or else migrated by the service itself (under its advisory lock), unless `migrate` is false.
 */
export async function freshDatabase(
  serverUrl: string,
  name: string,
  options: { readonly template?: string; readonly migrate?: boolean } = {},
): Promise<{ url: string; db: Client }> {
  const { template, migrate = true } = options;
  await onServer(serverUrl, async (admin) => {
    await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
    await admin.query(`CREATE DATABASE "${name}"${template ? ` TEMPLATE "${template}"` : ''}`);
  });
  const url = databaseUrl(serverUrl, name);
  const db = new Client({ connectionString: url });
  await db.connect();
  if (!template && migrate) {
    const migrator = startService({ DATABASE_URL: url, APP_ROLE: 'api', PORT: String(await freePort()) });
    await until(
      'migrations are done',
      async () =>
        (await db.query(`SELECT to_regclass('migrations') IS NOT NULL AS ready`)).rows[0].ready === true &&
        Number((await db.query(`SELECT count(*) AS n FROM migrations`)).rows[0].n) >= migrations.length,
      120_000,
    );
    await stop(migrator);
  }
  return { url, db };
}

/** Waits until `url` answers at all below 500: the service listens and has its routes. */
export async function waitForHttp(url: string, timeoutMs = 30_000): Promise<void> {
  await until(
    `${url} answers`,
    () =>
      fetch(url).then(
        (res) => res.status < 500,
        () => false,
      ),
    timeoutMs,
  );
}

/** One setting per messenger, `<PREFIX>_<MESSENGER>` (EMULATOR_TELEGRAM…), its value from `value(messenger)`. */
export function perMessenger(prefix: string, value: (messenger: MessengerName) => string): Env {
  return Object.fromEntries(MESSENGER_NAMES.map((m) => [`${prefix}_${m.toUpperCase()}`, value(m)]));
}
