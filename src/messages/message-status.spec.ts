import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { DISPATCH_SQL } from '../dispatch/dispatch.repository';
import { METRICS_SQL } from '../metrics/metrics.repository';
import { INGEST_SQL } from './message-ingest';
import {
  MESSAGE_STATUSES,
  NEW_STATUS,
  QUEUED_STATUSES,
  statusIn,
  statusNotIn,
  TRANSITIONS,
  type MessageStatus,
} from './message-status';
import { MESSAGES_SQL } from './messages.repository';

const SRC = join(__dirname, '..');

/** The string literals SQL compares `status` (or `x.status`) with, and those it sets it to. */
function statusLiterals(sql: string): { compared: string[]; set: string[] } {
  const compared = [...sql.matchAll(/\b(?:\w+\.)?status\s*(?:=|<>|!=)\s*'(\w*)'/g)].map((m) => m[1]);
  for (const [, list] of sql.matchAll(/\b(?:\w+\.)?status\s+(?:NOT\s+)?IN\s*\(([^)]*)\)/gi)) {
    if (/^\s*'/.test(list)) compared.push(...[...list.matchAll(/'(\w*)'/g)].map((m) => m[1]));
  }
  const set = [...sql.matchAll(/\bSET\s+status\s*=\s*'(\w*)'/gi)].map((m) => m[1]);
  return { compared, set };
}

const sourceFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'migrations' ? [] : sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });

describe('The message state machine (message-status.ts)', () => {
  it('reaches every status from the one a new message starts in', () => {
    const reached = new Set<MessageStatus>([NEW_STATUS]);
    for (let grew = true; grew;) {
      grew = false;
      for (const { from, to } of Object.values(TRANSITIONS)) {
        if (!from.some((status) => reached.has(status))) continue;
        for (const status of to.filter((s) => !reached.has(s))) {
          reached.add(status);
          grew = true;
        }
      }
    }
    expect([...reached].sort()).toEqual([...MESSAGE_STATUSES].sort());
  });

  it('claims exactly the queued statuses, the ones the partial indexes and the gauges cover', () => {
    expect(TRANSITIONS.claim.from).toBe(QUEUED_STATUSES);
  });

  it('spells a condition on the status in SQL as PostgreSQL, the CHECK and the index predicates have it', () => {
    expect(statusIn(['failed'])).toBe("status = 'failed'");
    expect(statusIn(['pending', 'sending'], 'm.status')).toBe("m.status IN ('pending', 'sending')");
    expect(statusNotIn(['cancelled'])).toBe("status <> 'cancelled'");
    expect(statusNotIn(['sent', 'failed'])).toBe("status NOT IN ('sent', 'failed')");
  });

  it('is the only source file that spells a message status in SQL', () => {
    const statuses: readonly string[] = MESSAGE_STATUSES;
    const spelled = sourceFiles(SRC)
      .filter((file) => !file.endsWith('message-status.ts'))
      .flatMap((file) =>
        statusLiterals(readFileSync(file, 'utf8'))
          .compared.filter((literal) => statuses.includes(literal))
          .map((literal) => `${relative(SRC, file)}: '${literal}'`),
      );

    expect(spelled).toEqual([]);
  });

  it.each(
    Object.entries({ ...DISPATCH_SQL, ...MESSAGES_SQL, ...INGEST_SQL, ...METRICS_SQL }).map(
      ([name, sql]) => [name, sql] as const,
    ),
  )('%s compares the status only with statuses, and sets it only to a transition’s target', (_name, sql) => {
    const { compared, set } = statusLiterals(sql);
    const targets = new Set<string>(Object.values(TRANSITIONS).flatMap(({ to }) => to));

    expect(compared.filter((literal) => !(MESSAGE_STATUSES as readonly string[]).includes(literal))).toEqual([]);
    expect(set.filter((literal) => !targets.has(literal))).toEqual([]);
  });
});
