import type { DataSource, EntityManager, EntityTarget, ObjectLiteral } from 'typeorm';

/**
 * Runs a hand-written statement and returns its rows. TypeORM's plain `query()` answers UPDATE and DELETE
 * with `[rows, count]` but INSERT and SELECT with `rows`; asking for the structured result makes every
 * statement the same.
 */
export async function queryRows<T = Record<string, unknown>>(
  manager: EntityManager,
  sql: string,
  parameters: unknown[],
): Promise<T[]> {
  const runner = manager.queryRunner ?? manager.connection.createQueryRunner();
  try {
    return (await runner.query(sql, parameters, true)).records as T[];
  } finally {
    if (!manager.queryRunner) await runner.release();
  }
}

/**
 * Maps raw snake_case rows (from RETURNING * and the like) to entities, using the entity's own column
 * metadata so that the names are declared once, on the entity.
 */
export function rowMapper<T extends ObjectLiteral>(dataSource: DataSource, entity: EntityTarget<T>) {
  const metadata = dataSource.getMetadata(entity);
  const columns = metadata.columns.map((column) => [column.propertyName, column.databaseName] as const);
  return (row: Record<string, unknown>): T => {
    const result = metadata.create() as Record<string, unknown>;
    for (const [property, column] of columns) if (column in row) result[property] = row[column];
    return result as T;
  };
}
