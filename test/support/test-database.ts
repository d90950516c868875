import { randomBytes } from 'node:crypto';
import { Client, type QueryResult, type QueryResultRow } from 'pg';

/**
 * Each test file gets its own database, copied from a template that global-setup migrated once, so files
 * running side by side never see each other's rows and no file pays for the migrations again.
 * global-setup passes the server and the template down in these variables.
 */
export const TEST_ENV = {
  serverUrl: 'DISPATCH_TEST_SERVER_URL',
  template: 'DISPATCH_TEST_TEMPLATE',
  prefix: 'DISPATCH_TEST_PREFIX',
} as const;

export interface TestDatabase {
  readonly url: string;
  readonly name: string;
  drop(): Promise<void>;
}

export function databaseUrl(serverUrl: string, database: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  return url.toString();
}

export async function withAdminClient<T>(serverUrl: string, fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A migrated database of its own; `{ empty: true }`: one without even the schema. */
export async function createTestDatabase({ empty = false } = {}): Promise<TestDatabase> {
  const serverUrl = required(TEST_ENV.serverUrl);
  const template = empty ? 'template0' : required(TEST_ENV.template);
  const name = `${required(TEST_ENV.prefix)}_${randomBytes(4).toString('hex')}`;
  await withAdminClient(serverUrl, (admin) => admin.query(`CREATE DATABASE "${name}" TEMPLATE "${template}"`));
  return {
    name,
    url: databaseUrl(serverUrl, name),
    drop: () =>
      withAdminClient(serverUrl, (admin) => admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`)).then(
        () => undefined,
      ),
  };
}

/** What a spec that talks SQL only needs of its connection. */
export interface SqlClient {
  query<R extends QueryResultRow = QueryResultRow>(text: string, values?: unknown[]): Promise<QueryResult<R>>;
}

/**
 * For specs that talk SQL only (no app): a connection to a migrated database of their own, made before the
 * enclosing describe block's tests and dropped after them.
 */
export function ownDatabaseConnection(): SqlClient {
  let database: TestDatabase | undefined;
  let client: Client | undefined;
  beforeAll(async () => {
    database = await createTestDatabase();
    client = new Client({ connectionString: database.url });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
    await database?.drop();
  });
  return { query: (text, values) => client!.query(text, values) };
}

function required(variable: string): string {
  const value = process.env[variable];
  if (!value)
    throw new Error(`${variable} is not set: run the tests through jest (npm test), whose global setup sets it`);
  return value;
}

/**
 * An outage of `database` alone: new connections are refused and the open ones ended, while the server and
 * the other files' databases carry on. allowConnections() ends it.
 */
export async function takeDatabaseAway(database: TestDatabase): Promise<void> {
  await withAdminClient(required(TEST_ENV.serverUrl), async (admin) => {
    await admin.query(`ALTER DATABASE "${database.name}" WITH ALLOW_CONNECTIONS false`);
    await admin.query(
      'SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()',
      [database.name],
    );
  });
}

export async function allowConnections(database: TestDatabase): Promise<void> {
  await withAdminClient(required(TEST_ENV.serverUrl), (admin) =>
    admin.query(`ALTER DATABASE "${database.name}" WITH ALLOW_CONNECTIONS true`),
  );
}
