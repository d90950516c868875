import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';

@Injectable()
export class HealthRepository {
  constructor(@InjectDataSource() private readonly dataSource: DataSource) {}

  /**
   * The migrations this build knows that the database has not recorded as applied. A plain read of
   * TypeORM's migrations table: DataSource.showMigrations() would do the same but may create the table, and
   * holds its connection if a query fails.
   */
  async pendingMigrations(): Promise<string[]> {
    const table = this.dataSource.options.migrationsTableName ?? 'migrations';
    const rows = await this.dataSource.query<{ name: string }[]>(`SELECT name FROM "${table}"`);
    const applied = new Set(rows.map((row) => row.name));
    return this.dataSource.migrations.map((m) => m.name ?? m.constructor.name).filter((name) => !applied.has(name));
  }
}
