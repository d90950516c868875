import type { DestinationStream } from 'pino';
import { prettyLine } from '../../src/logging/logging';
import { waitFor } from './service-process';

type Entry = Record<string, unknown>;

/** Log entries a spec has captured, to assert on. */
export interface CapturedLogs {
  readonly entries: Entry[];
  /** Waits until `check` holds for the entries captured so far. */
  waitFor(what: string, check: (entries: Entry[]) => boolean): Promise<void>;
  /** Back to printing. */
  stop(): void;
}

let capturing: Entry[] | undefined;

/**
 * The test apps' pino destination. Lines are printed as they come (pretty), like the service's own, so that
 * an unexpected error shows; while a spec captures them, they go to the spec instead: an error provoked on
 * purpose is asserted, not printed as a stack that reads like a failure.
 */
export const testLogSink: DestinationStream = {
  write(line: string) {
    const entry = JSON.parse(line) as Entry;
    if (capturing) capturing.push(entry);
    else process.stdout.write(prettyLine(entry));
  },
};

export function captureLogs(): CapturedLogs {
  const entries: Entry[] = [];
  capturing = entries;
  return {
    entries,
    waitFor: (what, check) => waitFor(what, async () => check(entries)),
    stop: () => {
      if (capturing === entries) capturing = undefined;
    },
  };
}
