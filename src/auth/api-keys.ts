/** One entry of API_KEYS: the client it names, and the secret that client sends as its bearer token. */
export interface ApiKey {
  readonly client: string;
  readonly secret: string;
}

/**
 * The client of every request in open mode (no API_KEYS), and of every message stored before API keys
 * existed: a key named "default" gives those messages an owner again.
 */
export const DEFAULT_CLIENT = 'default';

/** Shorter secrets can be guessed; 16 random characters is about 95 bits. */
export const MIN_SECRET_LENGTH = 16;

/** Stored in messages.client, varchar(64), and written in logs: plain, bounded names. */
const CLIENT_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/;

/** Printable ASCII without spaces: what survives an environment variable and an HTTP header unchanged. */
const SECRET = /^[\x21-\x7E]+$/;

/**
 * Parses API_KEYS, `name:secret,name:secret`. The problems name entries by position and client name,
 * never by secret, so that a refused configuration can be printed whole without leaking one.
 */
export function parseApiKeys(value: string): { keys: ApiKey[]; problems: string[] } {
  const keys: ApiKey[] = [];
  const problems: string[] = [];
  const entries = value.split(',').map((entry) => entry.trim());
  entries.forEach((entry, i) => {
    const where = `entry ${i + 1}`;
    if (entry === '') return void problems.push(`${where} is empty`);
    const colon = entry.indexOf(':');
    if (colon === -1) return void problems.push(`${where} has no ":" between the client name and the secret`);
    const client = entry.slice(0, colon);
    const secret = entry.slice(colon + 1);
    if (!CLIENT_NAME.test(client)) {
      return void problems.push(
        `${where}: the client name must be 1-64 letters, digits, ".", "_" or "-", starting with a letter or digit`,
      );
    }
    if (!SECRET.test(secret)) {
      return void problems.push(`${where} (${client}): the secret must be printable ASCII without spaces or commas`);
    }
    if (secret.length < MIN_SECRET_LENGTH) {
      return void problems.push(
        `${where} (${client}): the secret is ${secret.length} characters; it must have at least ${MIN_SECRET_LENGTH}`,
      );
    }
    keys.push({ client, secret });
  });
  for (let i = 0; i < keys.length; i++) {
    for (let j = i + 1; j < keys.length; j++) {
      if (keys[i].client === keys[j].client) problems.push(`the client name "${keys[i].client}" is listed twice`);
      if (keys[i].secret === keys[j].secret)
        problems.push(`"${keys[i].client}" and "${keys[j].client}" have the same secret`);
    }
  }
  return { keys, problems };
}
