import type { QueryResult } from 'pg';
import type { Client } from 'pg';
import { BoundedPgClient } from '../src/database/bounded-pg-client';
import { prepared, preparedName } from '../src/database/prepared-statements';
import { INGEST_SQL } from '../src/messages/message-ingest';
import type { TestDatabase } from './support/test-database';
import { createTestDatabase } from './support/test-database';

/**
 * The service's connections run a registered statement as a named prepared statement, given as plain text
 * the way TypeORM passes it: parsed and planned once per connection, then bound and executed.
 */
describe('Prepared statements', () => {
  const SQL = prepared('spec_add_one', 'SELECT $1::int + 1 AS answer');
  let database: TestDatabase;
  // Typed as pg's Client: BoundedPgClient passes pg's overloads through.
  let client: Client;

  beforeAll(async () => {
    database = await createTestDatabase();
    client = new BoundedPgClient({ connectionString: database.url });
    await client.connect();
  });
  afterAll(async () => {
    await client.end();
    await database.drop();
  });

  const preparedOnConnection = async () =>
    (await client.query<{ name: string }>('SELECT name FROM pg_prepared_statements')).rows.map((r) => r.name);

  it('runs a registered statement as its prepared statement, with its values', async () => {
    expect((await client.query(SQL, [41])).rows).toEqual([{ answer: 42 }]);
    const viaCallback = new Promise<QueryResult>((resolve, reject) =>
      client.query(SQL, [1], (error: Error | undefined, result: QueryResult) =>
        error ? reject(error) : resolve(result),
      ),
    );
    expect((await viaCallback).rows).toEqual([{ answer: 2 }]);
    expect(await preparedOnConnection()).toEqual(['spec_add_one']);
  });

  it('leaves any other text an unnamed statement', async () => {
    await client.query('SELECT $1::int + 2 AS answer', [1]);
    expect(await preparedOnConnection()).toEqual(['spec_add_one']);
  });

  it('refuses a second text under a name already taken', () => {
    expect(() => prepared('spec_add_one', 'SELECT 2')).toThrow('Two statements are prepared as spec_add_one');
  });

  it('prepares the ingest statement', () => {
    expect(preparedName(INGEST_SQL.storeNew)).toBe('ingest_store_new');
  });
});
