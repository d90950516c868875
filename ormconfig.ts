import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfig } from './src/config/app-config';
import { dataSourceOptions, withoutQueryTimeout } from './src/database/data-source-options';

/** For the TypeORM CLI (npm run migration:generate / migration:run); needs DATABASE_URL. */
const config = loadConfig();
const { DATABASE_URL } = config;
if (!DATABASE_URL) throw new Error('Set DATABASE_URL to the database the TypeORM CLI should use');

// Migrations may rightly run for minutes: no query bound here.
export default new DataSource(withoutQueryTimeout(dataSourceOptions(DATABASE_URL, config.databaseBounds)));
