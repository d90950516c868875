import { readFileSync } from 'node:fs';
import { REDACTED } from '../../logging/secret-scrubber';
import { isMessengerName, MESSENGER_NAMES, MESSENGERS, type MessengerName } from '../messengers';
import type { SenderShape } from './sender-shape';

/** Each messenger's account fields, from its definition. */
export const SENDER_SHAPES = Object.fromEntries(MESSENGERS.map((m) => [m.name, m.sender])) as {
  readonly [M in (typeof MESSENGERS)[number] as M['name']]: M['sender'];
};

const SHAPES: readonly SenderShape[] = Object.values(SENDER_SHAPES);
/** Every messenger's credential fields, and those of them that hold secrets. */
const CREDENTIAL_FIELDS = [...new Set(SHAPES.flatMap((shape) => Object.keys(shape.credentials)))];
const SECRET_FIELDS = CREDENTIAL_FIELDS.filter((field) => SHAPES.some((shape) => shape.credentials[field]?.secret));

type Credentials<P extends MessengerName> = { readonly [K in keyof (typeof SENDER_SHAPES)[P]['credentials']]: string };

/** One set of a messenger's credentials, and whose messages it sends. */
export interface SenderAccountOf<P extends MessengerName> {
  /** The API key name whose messages it sends, or "*": every client without an account of its own. */
  readonly client: string;
  readonly provider: P;
  /** Unique in the file: what a message records as its `sender`, and what logs and metrics name. */
  readonly name: string;
  /** The API root, without a trailing slash: base_url, or the messenger's public one. */
  readonly baseUrl: string;
  /** The account's own sending rate (on some messengers it depends on the account's tier); undefined: the messenger's. */
  readonly ratePerSecond: number | undefined;
  readonly credentials: Credentials<P>;
}

export type SenderAccount = { [P in MessengerName]: SenderAccountOf<P> }[MessengerName];

/** What a sender list yields: the accounts, what refuses it (problems) and what merely looks wrong (warnings). */
export interface SenderAccounts {
  readonly accounts: SenderAccount[];
  readonly problems: string[];
  readonly warnings: string[];
}

/** The client every client's messages fall back to. */
export const EVERY_CLIENT = '*';

/** As API_KEYS names clients (src/auth/api-keys.ts), and what a sender is named: plain, bounded names. */
const NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;
const NAME_RULE = '1-64 letters, digits, ".", "_" or "-", starting with a letter or digit';
/** A field name plain enough to be shown in a problem (anything else might be a misplaced token). */
const FIELD_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;
/** Above any messenger's documented throughput (the highest account tier we know of sends 1,000 per second). */
const MAX_RATE_PER_SECOND = 1000;
/** The fields every account may have besides its messenger's credentials. */
const COMMON_FIELDS = ['client', 'provider', 'name', 'base_url', 'rate_per_second'];
/** Shorter values under a token's field are not redacted from problems (see parseSenderAccounts). */
const MIN_REDACTED_LENGTH = 8;
const LOOPBACK_HOSTS = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])$/;

type Entry = Record<string, unknown>;

/**
 * Reads a sender list: a JSON array of accounts (see SENDER_SHAPES for each messenger's credentials). Every
 * problem names its entry by position, and by name when it has a valid one; none quotes a value from the text
 * other than names, and any secret of the list that still turns up in one is redacted.
 */
export function parseSenderAccounts(text: string): SenderAccounts {
  const refuse = (problem: string): SenderAccounts => ({ accounts: [], problems: [problem], warnings: [] });
  const json = text.replace(/^\uFEFF/, '');
  if (json.trim() === '') return refuse('the sender list is empty: write [] for no sender accounts');
  let list: unknown;
  try {
    list = JSON.parse(json);
  } catch (error) {
    // JSON.parse's message may quote the text around the error (a token): only its position is passed on.
    return refuse(`the sender list is not valid JSON${jsonErrorPosition(json, error)}`);
  }
  if (!Array.isArray(list)) return refuse('the sender list must be a JSON array of accounts');

  const accounts: SenderAccount[] = [];
  const problems: string[] = [];
  const warnings: string[] = [];
  const listSecrets = secretValues(list);
  const entryLabels: string[] = [];
  list.forEach((entry: unknown, i) => {
    const label = entryLabel(entry, i);
    entryLabels.push(label);
    if (typeof entry !== 'object' || entry === null || Array.isArray(entry))
      return void problems.push(`${label} must be a JSON object`);
    const checked = checkEntry(entry as Entry, listSecrets);
    problems.push(...checked.problems.map((problem) => `${label}: ${problem}`));
    warnings.push(...checked.warnings.map((warning) => `${label}: ${warning}`));
    if (checked.account) accounts.push(checked.account);
  });
  problems.push(...clashes(list, entryLabels));

  // A "token" of a few characters is refused as one, and redacting it would garble every line it occurs in.
  const redacted = listSecrets.filter((secret) => secret.length >= MIN_REDACTED_LENGTH);
  const redact = (text: string) => redacted.reduce((scrubbed, secret) => scrubbed.replaceAll(secret, REDACTED), text);
  return { accounts, problems: problems.map(redact), warnings: warnings.map(redact) };
}

/** "entry 2 ("billing-wa")", or "entry 2" when it has no valid name. */
function entryLabel(entry: unknown, i: number): string {
  const name = typeof entry === 'object' && entry !== null ? (entry as Entry).name : undefined;
  return typeof name === 'string' && NAME.test(name) ? `entry ${i + 1} ("${name}")` : `entry ${i + 1}`;
}

function checkEntry(
  entry: Entry,
  listSecrets: readonly string[],
): { account?: SenderAccount; problems: string[]; warnings: string[] } {
  const problems: string[] = [];
  const warnings: string[] = [];
  const text = (field: string): string | undefined => {
    const value = entry[field];
    if (value === undefined) return void problems.push(`${field} is missing`);
    if (typeof value !== 'string') return void problems.push(`${field} must be a string`);
    return value;
  };

  const client = text('client');
  if (client !== undefined && client !== EVERY_CLIENT && !NAME.test(client)) {
    problems.push(`client must be an API key name (${NAME_RULE}) or "${EVERY_CLIENT}" for every client`);
  }
  const name = text('name');
  if (name !== undefined && !NAME.test(name)) problems.push(`name must be ${NAME_RULE}`);
  const provider = text('provider');
  const known = provider !== undefined && isMessengerName(provider);
  if (provider !== undefined && !known) problems.push(`provider must be one of ${MESSENGER_NAMES.join(', ')}`);
  const shape: SenderShape | undefined = known ? SENDER_SHAPES[provider] : undefined;

  const credentials: Record<string, string> = {};
  for (const [field, rule] of Object.entries(shape?.credentials ?? {})) {
    const value = text(field);
    const problem = value === undefined ? undefined : rule.check(value);
    if (problem) problems.push(problem);
    else if (value !== undefined) credentials[field] = value;
  }

  let baseUrl = shape?.defaultBaseUrl;
  if (entry.base_url !== undefined) {
    const checked = checkBaseUrl(entry.base_url, listSecrets);
    problems.push(...checked.problems);
    warnings.push(...checked.warnings);
    baseUrl = checked.baseUrl;
  }

  // Names and the like are shown (GET, logs, the receiver's screen): a token copied into one would be too.
  for (const [field, value] of Object.entries(entry)) {
    if (
      !SECRET_FIELDS.includes(field) &&
      FIELD_NAME.test(field) &&
      typeof value === 'string' &&
      listSecrets.includes(value)
    ) {
      problems.push(`${field} is a token of this list`);
    }
  }

  const rate = entry.rate_per_second;
  if (
    rate !== undefined &&
    !(typeof rate === 'number' && Number.isFinite(rate) && rate > 0 && rate <= MAX_RATE_PER_SECOND)
  ) {
    problems.push(`rate_per_second must be a number above 0, at most ${MAX_RATE_PER_SECOND}`);
  }

  // Of an unknown messenger, any messenger's field is let pass: the provider is the problem.
  const allowed = [...COMMON_FIELDS, ...(shape ? Object.keys(shape.credentials) : CREDENTIAL_FIELDS)];
  const unknown = Object.keys(entry).filter((field) => !allowed.includes(field));
  if (unknown.length > 0) {
    const shown = unknown.filter((field) => FIELD_NAME.test(field)).map((field) => `"${field}"`);
    const hidden = unknown.length - shown.length;
    const named = [...shown, ...(hidden > 0 ? [`${hidden} not shown (not plain field names)`] : [])].join(', ');
    problems.push(
      `unknown field(s) ${named}; ${known ? `a ${provider} account has` : 'the fields are'} ${allowed.join(', ')}`,
    );
  }

  if (problems.length > 0) return { problems, warnings };
  const account = {
    client: client!,
    provider: provider as MessengerName,
    name: name!,
    baseUrl: baseUrl!,
    ratePerSecond: rate as number | undefined,
    credentials,
  } as SenderAccount;
  return { account, problems, warnings };
}

/** base_url checked and normalised (no trailing slash); it must not carry what belongs elsewhere. */
function checkBaseUrl(
  value: unknown,
  listSecrets: readonly string[],
): { baseUrl?: string; problems: string[]; warnings: string[] } {
  const refuse = (problem: string) => ({ problems: [problem], warnings: [] });
  if (typeof value !== 'string') return refuse('base_url must be a string');
  // A base_url copied whole from a messenger's docs may end in the token (…/bot<token>), where logs show URLs.
  if (listSecrets.some((secret) => value.includes(secret)))
    return refuse('base_url holds a token: give the API root, and the token in "token"');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return refuse('base_url must be an absolute http(s) URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return refuse('base_url must be an http or https URL');
  if (url.username !== '' || url.password !== '') return refuse('base_url must not hold credentials (user:password@)');
  if (value.includes('?') || value.includes('#')) return refuse('base_url must not have a query or a fragment');
  const warnings =
    url.protocol === 'http:' && !LOOPBACK_HOSTS.test(url.hostname)
      ? [
          `base_url is plain http to ${url.host}: the token crosses the network unencrypted (fine for an emulator server on a private network only)`,
        ]
      : [];
  return { baseUrl: url.origin + url.pathname.replace(/\/+$/, ''), problems: [], warnings };
}

/** Two entries with the same name, or two accounts of one client on one messenger. */
function clashes(list: readonly unknown[], labels: readonly string[]): string[] {
  const problems: string[] = [];
  const byName = new Map<string, number>();
  const byClientMessenger = new Map<string, number>();
  list.forEach((entry, i) => {
    if (typeof entry !== 'object' || entry === null) return;
    const { name, client, provider } = entry as Entry;
    if (typeof name === 'string' && NAME.test(name)) {
      const first = byName.get(name);
      if (first === undefined) byName.set(name, i);
      else problems.push(`${labels[first]} and ${labels[i]} have the same name: each account needs its own`);
    }
    if (typeof client === 'string' && (client === EVERY_CLIENT || NAME.test(client)) && isMessengerName(provider)) {
      const key = `${client}\n${provider}`;
      const first = byClientMessenger.get(key);
      const whose = client === EVERY_CLIENT ? `every client's (${EVERY_CLIENT})` : `client "${client}"'s`;
      if (first === undefined) byClientMessenger.set(key, i);
      else
        problems.push(
          `${labels[first]} and ${labels[i]} are both ${whose} ${provider} account: a client has one per messenger`,
        );
    }
  });
  return problems;
}

/** Every secret credential's string value in `entries`, whatever else is wrong with them: longest first. */
function secretValues(entries: readonly unknown[]): string[] {
  const values = new Set<string>();
  for (const entry of entries) {
    if (typeof entry !== 'object' || entry === null) continue;
    for (const field of SECRET_FIELDS) {
      const value = (entry as Entry)[field];
      if (typeof value === 'string' && value !== '') values.add(value);
    }
  }
  return [...values].sort((a, b) => b.length - a.length);
}

/** The account `client`'s messages to `provider` go through: its own, else the "*" one, else none (the emulator). */
export function accountFor<P extends MessengerName>(
  accounts: readonly SenderAccount[],
  client: string,
  provider: P,
): SenderAccountOf<P> | undefined {
  // SenderAccount is a union over messengers: TypeScript cannot narrow it by a generic P.
  const ofProvider = accounts.filter((account) => account.provider === provider) as unknown as SenderAccountOf<P>[];
  return (
    ofProvider.find((account) => account.client === client) ??
    ofProvider.find((account) => account.client === EVERY_CLIENT)
  );
}

/** The account a message recorded as its sender; undefined once it has left the file. */
export function accountNamed(accounts: readonly SenderAccount[], name: string): SenderAccount | undefined {
  return accounts.find((account) => account.name === name);
}

/** The accounts' secrets (tokens), for the log scrubber: `secrets.add(...senderSecrets(accounts))`. */
export function senderSecrets(accounts: readonly SenderAccount[]): string[] {
  return secretValues(accounts.map((account) => account.credentials));
}

/**
 * Accounts of clients that no API key names: a misspelt client would otherwise leave its messages on the
 * emulator, reported as sent. `clients` are the API_KEYS names (["default"] in open mode).
 */
export function accountsOfUnknownClients(accounts: readonly SenderAccount[], clients: readonly string[]): string[] {
  return accounts
    .filter((account) => account.client !== EVERY_CLIENT && !clients.includes(account.client))
    .map(
      (account) =>
        `sender account "${account.name}" is for client "${account.client}", which no API key names (the clients: ${clients.join(', ')})`,
    );
}

/** A sender list larger than this is not one (a few hundred bytes an account). */
const MAX_FILE_BYTES = 1024 * 1024;

/**
 * Reads and parses the sender list at `path` (SENDERS_FILE). Never throws: every problem, the file's own
 * included, comes back as text naming SENDERS_FILE, and none quotes the file's content.
 */
export function readSenderAccounts(path: string): SenderAccounts {
  const where = `SENDERS_FILE (${path})`;
  const refuse = (problem: string): SenderAccounts => ({
    accounts: [],
    problems: [`${where} ${problem}`],
    warnings: [],
  });
  let bytes: Buffer;
  try {
    bytes = readFileSync(path);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') return refuse('does not exist');
    if (code === 'EISDIR') return refuse('is a directory, not a file');
    if (code === 'EACCES' || code === 'EPERM') return refuse('cannot be read: permission denied');
    return refuse(`cannot be read (${code ?? 'unknown error'})`);
  }
  if (bytes.length > MAX_FILE_BYTES) return refuse(`is over ${MAX_FILE_BYTES / 1024} KiB: not a sender list`);
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return refuse('is not UTF-8 text');
  }
  const parsed = parseSenderAccounts(text);
  const named = (line: string) => `${where}: ${line}`;
  return { accounts: parsed.accounts, problems: parsed.problems.map(named), warnings: parsed.warnings.map(named) };
}

/** " (line 3, column 14)" from a JSON.parse error (Node 20 says "at position N", later ones "line L column C"). */
function jsonErrorPosition(text: string, error: unknown): string {
  const message = error instanceof Error ? error.message : '';
  const lineColumn = /line (\d+) column (\d+)/.exec(message);
  if (lineColumn) return ` (line ${lineColumn[1]}, column ${lineColumn[2]})`;
  const position = /at position (\d+)/.exec(message);
  if (!position) return '';
  const before = text.slice(0, Number(position[1]));
  const line = before.split('\n').length;
  return ` (line ${line}, column ${before.length - before.lastIndexOf('\n')})`;
}
