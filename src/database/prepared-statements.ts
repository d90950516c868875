/**
 * Hand-written statements that run as named prepared statements: each connection parses and plans one once
 * and then only binds and executes it (BoundedPgClient looks the text up here). For a statement as large as
 * the ingest's, parsing and planning cost more than running it for a few rows: 1.2–1.4 ms of PostgreSQL CPU
 * against 0.6–0.9 ms prepared (docs/performance.md#the-ingest-statement-is-prepared).
 *
 * Only for statements whose plan does not depend on their parameters' values: after five runs PostgreSQL
 * may keep one generic plan. A pooler in front of PostgreSQL must keep prepared statements per server
 * connection (PgBouncer 1.21+ with max_prepared_statements, or session pooling).
 */
const names = new Map<string, string>();

/** Registers `sql` as the prepared statement `name`, and returns it. */
export function prepared(name: string, sql: string): string {
  const taken = [...names].find(([text, known]) => known === name && text !== sql);
  if (taken) throw new Error(`Two statements are prepared as ${name}`);
  names.set(sql, name);
  return sql;
}

/** The name `sql` is prepared under, if it is. */
export function preparedName(sql: unknown): string | undefined {
  return typeof sql === 'string' ? names.get(sql) : undefined;
}
