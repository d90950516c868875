import { execFileSync } from 'node:child_process';
import { existsSync, lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { PROCESS_SPEC_TIMEOUT_MS, ServiceProcess } from './support/service-process';

// Two starts, the first with an initdb: twice a process spec's time.
jest.setTimeout(2 * PROCESS_SPEC_TIMEOUT_MS);
/** A start here runs initdb or recovery first: on a loaded machine, well over a minute. */
const START_TIMEOUT_MS = 150_000;

const ROOT = resolve(__dirname, '..');
/** The embedded server's superuser password (src/database/embedded-postgres.ts). */
const PASSWORD = 'postgres';

/**
 * The project as a newcomer has it after `npm install` in a directory only its owner may enter (root's
 * home, a `mktemp -d`): node_modules as hard links (no copy of the data), the sources and their configs.
 * Inside this repository's .data, so that the links stay on one file system.
 */
function privateClone(): string {
  mkdirSync(join(ROOT, '.data'), { recursive: true });
  const home = mkdtempSync(join(ROOT, '.data', 'private-'));
  execFileSync('cp', ['-al', 'node_modules', 'src', 'package.json', 'tsconfig.json', home], { cwd: ROOT });
  return home;
}

/** Small regular files others may read whose content is `secret`, under `dir` (`depth` levels down). */
function readableByOthersHolding(secret: string, dir: string, depth: number, since: number): string[] {
  if (depth < 0 || !existsSync(dir)) return [];
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    const stat = lstatSync(path);
    if (stat.isDirectory())
      return name === 'node_modules' ? [] : readableByOthersHolding(secret, path, depth - 1, since);
    const suspect = stat.isFile() && stat.size <= 256 && (stat.mode & 0o004) !== 0 && stat.mtimeMs >= since;
    return suspect && readFileSync(path, 'utf8').trim() === secret ? [path] : [];
  });
}

/**
 * `npm install && npm start` as root, in a directory no one else may enter. PostgreSQL refuses to run as
 * root, so the embedded one runs as the postgres user, who can neither run npm's copy of the binaries
 * there nor reach ./.data: the service must still start, and say where the data went.
 */
describe('npm start as root in a directory only its owner may enter', () => {
  let clone: string;
  const dataDirs = new Set<string>();
  const processes: ServiceProcess[] = [];
  beforeAll(() => (clone = privateClone()));
  afterEach(async () => {
    // SIGTERM, not SIGKILL: the service stops its PostgreSQL, which would outlive a killed one.
    for (const service of processes.splice(0)) {
      service.kill('SIGTERM');
      await service.exited;
      for (const { dataDir } of service.events('database')) dataDirs.add(dataDir as string);
    }
  });
  afterAll(() => {
    for (const dir of [clone, ...dataDirs]) rmSync(dir, { recursive: true, force: true });
  });

  const start = (cwd: string) => {
    const service = new ServiceProcess(
      { APP_ROLE: 'api', PORT: '0', EMULATOR_LATENCY_MS: '0' },
      { project: clone, cwd },
    );
    processes.push(service);
    return service;
  };
  const databaseOf = (service: ServiceProcess) => {
    const [database] = service.events('database');
    expect(database).toMatchObject({
      host: '127.0.0.1',
      port: expect.any(Number),
      database: 'dispatch',
      dataDir: expect.any(String),
    });
    return database as { port: number; dataDir: string };
  };
  const ready = async (service: ServiceProcess) => {
    await service.waitFor('it listens', () => service.events('listening').length > 0, START_TIMEOUT_MS);
    const [{ port }] = service.events('listening');
    await service.waitFor(
      'it is ready',
      async () =>
        (await fetch(`http://127.0.0.1:${String(port)}/health/ready`).then(
          (res) => res.status,
          () => 0,
        )) === 200,
    );
  };

  it('serves, keeps its data between runs, and leaves no file with the password that others can read', async () => {
    const since = Date.now() - 1000;
    const first = start(clone);
    await ready(first);
    const { dataDir } = databaseOf(first);
    expect(readableByOthersHolding(PASSWORD, tmpdir(), 0, since)).toEqual([]);
    expect(readableByOthersHolding(PASSWORD, clone, 4, since)).toEqual([]);
    expect(readableByOthersHolding(PASSWORD, dirname(dataDir), 4, since)).toEqual([]);
    first.kill('SIGTERM');
    expect(await first.exited).toBe(0);

    const second = start(clone);
    await ready(second);
    expect(databaseOf(second).dataDir).toBe(dataDir);
    // The schema was there already: nothing to migrate.
    expect(second.entries().filter((entry) => /applied migrations/.test(String(entry.msg)))).toEqual([]);
    second.kill('SIGTERM');
    expect(await second.exited).toBe(0);
    // The URL it connects with holds the password: no line shows it.
    expect([...first.lines, ...second.lines].join('\n')).not.toContain(`:${PASSWORD}@`);
  });

  it('stopped while its embedded PostgreSQL starts, stops that too and exits 0', async () => {
    const service = start(mkdtempSync(join(clone, 'cwd-')));
    await service.waitFor(
      'it starts an embedded PostgreSQL',
      () => service.entries().some((entry) => /starting an embedded PostgreSQL/.test(String(entry.msg))),
      START_TIMEOUT_MS,
    );

    service.kill('SIGTERM');

    expect(await service.exited).toBe(0);
    expect(service.events('stopped')).toEqual([expect.objectContaining({ exitCode: 0, signal: 'SIGTERM' })]);
    expect(service.events('listening')).toEqual([]);
    // A running PostgreSQL keeps its pid in postmaster.pid.
    expect(existsSync(join(databaseOf(service).dataDir, 'postmaster.pid'))).toBe(false);
  });
});
