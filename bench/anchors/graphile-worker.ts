/**
 * The graphile-worker anchor of `npm run bench`. Run as a process (DATABASE_URL, JOBS), it works `JOBS`
 * no-op jobs with the settings graphile-worker's performance docs give for its quick stats (concurrency 24,
 * a local queue of 500, batched completion) and tells its parent over IPC when the last one has run. The
 * bench process itself uses `graphileWorker()` for the bulk `addJobs` figure.
 */
import { createRequire } from 'node:module';
import { join } from 'node:path';

/** The few parts of graphile-worker used here, typed locally: tsc and ESLint pass before the bench installs it. */
export interface GraphileWorker {
  run(options: object): Promise<{ promise: Promise<void>; stop(): Promise<void> }>;
  makeWorkerUtils(options: { connectionString: string }): Promise<WorkerUtils>;
}
export interface WorkerUtils {
  addJobs(specs: { identifier: string; payload: unknown }[]): Promise<unknown[]>;
  migrate(): Promise<void>;
  release(): Promise<void>;
}

/** graphile-worker from bench/anchors/node_modules (installed by the bench on first use). */
export function graphileWorker(): GraphileWorker {
  return createRequire(join(__dirname, 'package.json'))('graphile-worker') as GraphileWorker;
}

/** From worker.graphile.org/docs/performance ("quick stats"), plus Node's clock instead of a query for it. */
export const TUNED = {
  concurrentJobs: 24,
  maxPoolSize: 25,
  localQueue: { size: 500 },
  completeJobBatchDelay: 0,
  failJobBatchDelay: 0,
  preparedStatements: true,
  useNodeTime: true,
};

async function work(): Promise<void> {
  const jobs = Number(process.env.JOBS);
  let seen = 0;
  let first = 0;
  const runner = await graphileWorker().run({
    preset: { worker: { ...TUNED, connectionString: process.env.DATABASE_URL } },
    noHandleSignals: true,
    taskList: {
      noop: () => {
        if (seen++ === 0) first = Date.now();
        if (seen === jobs) process.send!({ first, last: Date.now() });
      },
    },
  });
  process.send!({ ready: true });
  process.once('SIGTERM', () => void runner.stop().then(() => process.exit(0)));
  await runner.promise;
}

if (require.main === module) {
  work().catch((error) => {
    console.error(error);
    process.exit(1);
  });
}
