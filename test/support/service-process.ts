import type { ChildProcess } from 'node:child_process';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createServer } from 'node:net';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

const ROOT = resolve(__dirname, '../..');

/**
 * The NODE_OPTIONS the image runs with (the Dockerfile's ENV line), read from there so that the specs and
 * the bench that run the service "as the image does" cannot drift from it: the heap bounds change a
 * process's CPU and memory as much as code does.
 */
export const IMAGE_NODE_OPTIONS = (() => {
  const line = /^ENV NODE_OPTIONS="?([^"\n]+)"?$/m.exec(readFileSync(join(ROOT, 'Dockerfile'), 'utf8'));
  if (!line) throw new Error('The Dockerfile sets no NODE_OPTIONS');
  return line[1];
})();

/**
 * A spec that starts service processes takes seconds per start on an idle machine, and several times as
 * long beside a CPU-heavy job: its tests get this long, and its waits (waitFor) stay well inside it.
 */
export const PROCESS_SPEC_TIMEOUT_MS = 180_000;

export interface ServiceProcessOptions {
  /** The project the service runs from (its src/main.ts); this repository by default. */
  readonly project?: string;
  /** The working directory (where ./.data is); the project by default. */
  readonly cwd?: string;
  /** Modules loaded before the service (node -r), e.g. pause-at-require.js. */
  readonly preload?: string[];
}

/** The real service, started as its own process from the TypeScript sources (ts-node with swc: ~2 s). */
export class ServiceProcess {
  readonly lines: string[] = [];
  readonly exited: Promise<number | null>;
  private readonly child: ChildProcess;
  private exit?: { code: number | null };

  constructor(
    env: Record<string, string>,
    { project = ROOT, cwd = project, preload = [] }: ServiceProcessOptions = {},
  ) {
    const main = resolve(project, 'src/main.ts');
    this.child = spawn(
      process.execPath,
      ['-r', 'ts-node/register', ...preload.flatMap((module) => ['-r', module]), main],
      {
        cwd,
        env: {
          PATH: process.env.PATH,
          TS_NODE_TRANSPILE_ONLY: 'true',
          TS_NODE_SWC: 'true',
          LOG_FORMAT: 'json',
          ...env,
        },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      // A chunk may end inside a line: its start waits for the rest.
      let partial = '';
      stream.on('data', (chunk: Buffer) => {
        const lines = (partial + chunk.toString()).split('\n');
        partial = lines.pop()!;
        this.lines.push(...lines.filter(Boolean));
      });
      stream.on('end', () => partial && this.lines.push(partial));
    }
    this.exited = once(this.child, 'exit').then(([code]) => (this.exit = { code: code as number | null }).code);
  }

  get pid(): number {
    return this.child.pid!;
  }

  kill(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Waits until `check` holds; fails at once if the process ends first. Either failure shows the log. */
  async waitFor(what: string, check: () => boolean | Promise<boolean>, timeoutMs?: number): Promise<void> {
    try {
      await waitFor(
        what,
        async () => {
          if (this.exit) throw new Error(`the service exited (code ${this.exit.code}) before ${what}`);
          return check();
        },
        timeoutMs,
      );
    } catch (error) {
      throw new Error(`${(error as Error).message}; its log:\n${this.lines.slice(-40).join('\n')}`, { cause: error });
    }
  }

  /** The JSON log entries (pino's lines, the event's fields flat on them) with this event name. */
  events(event: string): Record<string, unknown>[] {
    return this.entries().filter((entry) => entry.event === event);
  }

  /** Every JSON log line, parsed. */
  entries(): Record<string, unknown>[] {
    return this.lines.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
  }
}

/**
 * Polls `check` until it returns true; fails with `what` after `timeoutMs`. The default is most of a
 * process spec's time: a start takes over 60 s on 2 cores under a heavy load, and a process that exits
 * fails the wait at once, so a long bound costs a failing spec nothing.
 */
export async function waitFor(what: string, check: () => Promise<boolean>, timeoutMs = 150_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** A TCP port free on 127.0.0.1 a moment ago: for a service process to listen on. */
export async function freePort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}
