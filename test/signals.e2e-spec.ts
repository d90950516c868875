import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import { MIGRATION_LOCK } from '../src/database/migrate';
import { migrations } from '../src/database/migrations';
import type { ServiceProcessOptions } from './support/service-process';
import { PROCESS_SPEC_TIMEOUT_MS, ServiceProcess } from './support/service-process';
import type { TestDatabase } from './support/test-database';
import { createTestDatabase } from './support/test-database';

jest.setTimeout(PROCESS_SPEC_TIMEOUT_MS);

const PAUSE_AT_REQUIRE = resolve(__dirname, 'support/pause-at-require.js');

/**
 * An orchestrator stops a process whenever it likes, start-up included: a SIGTERM at any moment after
 * main.js's first line ends the service cleanly, exit code 0, and never by the signal itself.
 */
describe('A SIGTERM during start-up', () => {
  let database: TestDatabase;
  let scratch: string;
  const processes: ServiceProcess[] = [];
  beforeAll(async () => {
    database = await createTestDatabase();
    scratch = mkdtempSync(join(tmpdir(), 'dispatch-signals-'));
  });
  afterEach(async () => {
    for (const service of processes.splice(0)) {
      service.kill('SIGKILL');
      await service.exited;
    }
  });
  afterAll(async () => {
    rmSync(scratch, { recursive: true, force: true });
    await database.drop();
  });

  const start = (env: Record<string, string>, options?: ServiceProcessOptions) => {
    const service = new ServiceProcess(
      { DATABASE_URL: database.url, APP_ROLE: 'api', PORT: '0', EMULATOR_LATENCY_MS: '0', ...env },
      options,
    );
    processes.push(service);
    return service;
  };
  const stoppedCleanly = (service: ServiceProcess) => {
    expect(service.events('stopped')).toEqual([expect.objectContaining({ exitCode: 0, signal: 'SIGTERM' })]);
    // Stopped before it served: the listener was never opened.
    expect(service.events('listening')).toEqual([]);
  };

  it.each([
    ['reflect-metadata', 'the first module it loads'],
    ['@nestjs/core', 'Nest'],
    ['typeorm', 'TypeORM'],
  ])('while it loads its modules (held at %s, %s): exits 0 and starts nothing', async (module) => {
    const release = join(scratch, module.replace(/\W/g, '_'));
    const service = start({ PAUSE_AT_REQUIRE: module, PAUSE_RELEASE_FILE: release }, { preload: [PAUSE_AT_REQUIRE] });
    await service.waitFor(`it loads ${module}`, () => service.lines.includes(`paused at ${module}`));

    service.kill('SIGTERM');
    writeFileSync(release, '');

    expect(await service.exited).toBe(0);
    stoppedCleanly(service);
    expect(service.events('database')).toEqual([]);
  });

  it('while it migrates the database: lets the migration finish, then exits 0', async () => {
    const empty = await createTestDatabase({ empty: true });
    const holder = new Client({ connectionString: empty.url });
    await holder.connect();
    try {
      // Holding the migrator's lock keeps the service inside its migration step for as long as we like.
      await holder.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK]);
      const service = start({ DATABASE_URL: empty.url });
      await service.waitFor('it waits for the migration lock', async () => {
        const { rows } = await holder.query<{ n: number }>(
          `SELECT count(*)::int AS n FROM pg_locks
           WHERE locktype = 'advisory' AND objid = $1 AND NOT granted AND database = (SELECT oid FROM pg_database WHERE datname = current_database())`,
          [MIGRATION_LOCK],
        );
        return rows[0].n > 0;
      });

      service.kill('SIGTERM');
      await holder.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK]);

      expect(await service.exited).toBe(0);
      stoppedCleanly(service);
      // The migration step it was in ran to the end: no half-migrated schema is left behind.
      const { rows } = await holder.query<{ n: number }>('SELECT count(*)::int AS n FROM migrations');
      expect(rows[0].n).toBe(migrations.length);
    } finally {
      await holder.end();
      await empty.drop();
    }
  });
});
