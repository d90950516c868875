import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { loadConfig } from './src/config/app-config';
import { dataSourceOptions } from './src/database/data-source-options';

/** For the TypeORM CLI (npm run migration:generate / migration:run); needs DATABASE_URL. */
const { DATABASE_URL } = loadConfig();
if (!DATABASE_URL) throw new Error('Set DATABASE_URL to the database the TypeORM CLI should use');

export default new DataSource(dataSourceOptions(DATABASE_URL));
