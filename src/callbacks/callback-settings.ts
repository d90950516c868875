import { callbackUrlProblem } from './callback-address';
import { WEBHOOK_SECRET_PREFIX, WebhookSecret } from './webhook-signature';

/** API_KEYS' rule for client names (src/auth/api-keys.ts): the names here must be the same clients. */
const CLIENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

interface Entry {
  /** "entry 2 (crm)": how problems name an entry without quoting its value. */
  readonly where: string;
  readonly client: string;
  readonly value: string;
}

/**
 * Splits `name:value,name:value` as API_KEYS is split: at commas, then at each entry's first colon (the
 * value may hold colons, as URLs do; not commas). Problems name entries by position and client name only.
 */
function namedEntries(setting: string, valueName: string): { entries: Entry[]; problems: string[] } {
  const entries: Entry[] = [];
  const problems: string[] = [];
  setting
    .split(',')
    .map((entry) => entry.trim())
    .forEach((entry, i) => {
      const where = `entry ${i + 1}`;
      if (entry === '') return void problems.push(`${where} is empty`);
      const colon = entry.indexOf(':');
      if (colon === -1) return void problems.push(`${where} has no ":" between the client name and the ${valueName}`);
      const client = entry.slice(0, colon);
      if (!CLIENT_NAME.test(client)) {
        return void problems.push(
          `${where}: the client name must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit`,
        );
      }
      entries.push({ where: `${where} (${client})`, client, value: entry.slice(colon + 1).trim() });
    });
  return { entries, problems };
}

/**
 * CALLBACK_SECRETS, `client:whsec_…` pairs. A client listed twice has two secrets and every callback is
 * signed with both (in the order listed): that is how a secret is rotated without a lost callback. One
 * secret shared by two clients is refused: either could forge the other's callbacks.
 */
export function parseCallbackSecrets(value: string): { secrets: Map<string, WebhookSecret[]>; problems: string[] } {
  const { entries, problems } = namedEntries(value, 'secret');
  const secrets = new Map<string, WebhookSecret[]>();
  const seen: Array<{ client: string; secret: WebhookSecret }> = [];
  for (const { where, client, value: text } of entries) {
    const secret = WebhookSecret.parse(text);
    if (!(secret instanceof WebhookSecret)) {
      problems.push(`${where}: the secret ${secret.problem}`);
      continue;
    }
    const twin = seen.find((other) => other.secret.equals(secret));
    if (twin?.client === client) problems.push(`${where}: the same secret is listed twice for "${client}"`);
    else if (twin) problems.push(`"${twin.client}" and "${client}" have the same secret`);
    seen.push({ client, secret });
    secrets.set(client, [...(secrets.get(client) ?? []), secret]);
  }
  return { secrets, problems };
}

/**
 * CALLBACK_URLS, `client:url` pairs: the URL a client's callbacks go to when its POST names none. Checked
 * like a request's callback_url, without DNS (delivery checks the addresses it connects to). A comma in a
 * URL must be written %2C.
 */
export function parseCallbackUrls(
  value: string,
  options: { allowPrivate: boolean },
): { urls: Map<string, string>; problems: string[] } {
  const { entries, problems } = namedEntries(value, 'URL');
  const urls = new Map<string, string>();
  for (const { where, client, value: url } of entries) {
    const problem = callbackUrlProblem(url, options);
    // The operator can lift the address check, and only that one: say so here, where they can act on it.
    const liftable = problem !== null && callbackUrlProblem(url, { allowPrivate: true }) === null;
    const hint = liftable ? ' (CALLBACK_ALLOW_PRIVATE_NETWORKS=true allows it)' : '';
    if (problem !== null) problems.push(`${where}: the URL ${problem}${hint}`);
    else if (urls.has(client)) problems.push(`${where}: "${client}" already has a URL; a client has one default URL`);
    else urls.set(client, url);
  }
  return { urls, problems };
}

/** A default URL is useless without a secret to sign with: the callbacks would be refused. */
export function callbackSettingsProblems(
  secrets: ReadonlyMap<string, unknown>,
  urls: ReadonlyMap<string, string>,
): string[] {
  return [...urls.keys()]
    .filter((client) => !secrets.has(client))
    .map(
      (client) => `CALLBACK_URLS: "${client}" has a URL but no secret in CALLBACK_SECRETS to sign its callbacks with`,
    );
}

/**
 * The secrets of CALLBACK_SECRETS as written, for the log scrubber: each `whsec_…` text and its base64
 * part alone (the form a decoder or a careless log line would show). Whatever parses or not: a secret
 * that was mistyped is still a secret.
 */
export function callbackSecretTexts(value: string): string[] {
  return namedEntries(value, 'secret').entries.flatMap(({ value: text }) =>
    text.startsWith(WEBHOOK_SECRET_PREFIX) ? [text, text.slice(WEBHOOK_SECRET_PREFIX.length)] : [text],
  );
}
