/**
 * npm run lint:openapi
 *
 * Lints the OpenAPI document the service really serves at /docs-json. That document depends on the
 * @nestjs/swagger CLI plugin (nest-cli.json), which reads the DTOs' types and TSDoc at compile time;
 * jest's SWC transform does not run it. So this script compiles src/ with the TypeScript API and the
 * plugin, exactly as `nest build` does, into a temporary directory, boots that build against a
 * throwaway PostgreSQL (TEST_DATABASE_URL when set, else an embedded one), asks it for /docs-json, once
 * with API keys (as production runs) and once in open mode (the document differs: no key, no 401), writes
 * each document to a file and runs `redocly lint` on it with scripts/redocly.yaml: Redocly's
 * recommended rules, unrelaxed. Exits 1 on any problem, warnings included (the documents are then kept,
 * and their paths printed), 0 when both are clean. `npm run lint:openapi -- --keep` keeps them anyway.
 */
import 'reflect-metadata';
import { spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Client } from 'pg';
import ts from 'typescript';
import { startEmbeddedPostgres, type EmbeddedDatabase } from '../src/database/embedded-postgres';

const ROOT = resolve(__dirname, '..');
const REDOCLY_CONFIG = join(ROOT, 'scripts/redocly.yaml');

/** Compiles src/ as `nest build` would: the project's tsconfig plus the plugins listed in nest-cli.json. */
function compileWithSwaggerPlugin(outDir: string): void {
  const configPath = join(ROOT, 'tsconfig.json');
  const parsed = ts.getParsedCommandLineOfConfigFile(
    configPath,
    { outDir, incremental: false, tsBuildInfoFile: undefined, sourceMap: false, declaration: false, noEmit: false },
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (diagnostic) => {
        throw new Error(ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
      },
    },
  );
  if (!parsed) throw new Error(`cannot read ${configPath}`);
  const nestCli = JSON.parse(readFileSync(join(ROOT, 'nest-cli.json'), 'utf8')) as {
    compilerOptions?: { plugins?: Array<string | { name: string; options?: Record<string, unknown> }> };
  };
  const program = ts.createProgram({ rootNames: parsed.fileNames, options: parsed.options });
  const requireFromRoot = createRequire(join(ROOT, 'package.json'));
  const before = (nestCli.compilerOptions?.plugins ?? []).map((plugin) => {
    const { name, options } = typeof plugin === 'string' ? { name: plugin, options: {} } : plugin;
    const { before: factory } = requireFromRoot(`${name}/plugin`) as {
      before: (options: Record<string, unknown>, program: ts.Program) => ts.TransformerFactory<ts.SourceFile>;
    };
    return factory(options ?? {}, program);
  });
  const result = program.emit(undefined, undefined, undefined, false, { before });
  const errors = result.diagnostics.filter((d) => d.category === ts.DiagnosticCategory.Error);
  if (result.emitSkipped || errors.length > 0) {
    throw new Error(
      ts.formatDiagnostics(errors, {
        getCanonicalFileName: (f) => f,
        getCurrentDirectory: () => ROOT,
        getNewLine: () => '\n',
      }),
    );
  }
}

/** A database of our own, dropped afterwards; never DATABASE_URL, which may be someone's real data. */
async function throwawayDatabase(): Promise<{ url: string; drop: () => Promise<void> }> {
  const serverUrl = process.env.TEST_DATABASE_URL;
  if (!serverUrl) {
    const embedded: EmbeddedDatabase = await startEmbeddedPostgres({
      // Its own directory: as root, PostgreSQL runs as another user, who can't enter our private one.
      dir: mkdtempSync(join(tmpdir(), 'openapi-lint-pg-')),
      database: 'openapi_lint',
      persistent: false,
      settings: { fsync: 'off', synchronous_commit: 'off', full_page_writes: 'off' },
    });
    return { url: embedded.url, drop: () => embedded.stop() };
  }
  const name = `openapi_lint_${randomBytes(4).toString('hex')}`;
  const admin = async (sql: string) => {
    const client = new Client({ connectionString: serverUrl });
    await client.connect();
    try {
      await client.query(sql);
    } finally {
      await client.end();
    }
  };
  await admin(`CREATE DATABASE "${name}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return { url: url.toString(), drop: () => admin(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`) };
}

/** The two configurations whose documents differ: with API keys (production) and without (open mode). */
const MODES = {
  'api-keys': { NODE_ENV: 'production', API_KEYS: `openapi-lint:${randomBytes(16).toString('hex')}` },
  // Production refuses to serve the API without keys.
  'open-mode': { NODE_ENV: 'development' },
} satisfies Record<string, Record<string, string>>;

/** Boots the compiled service the way main.ts does (API role, no scheduler) and returns its /docs-json. */
async function servedDocument(dist: string, databaseUrl: string, env: Record<string, string>): Promise<unknown> {
  const load = createRequire(join(dist, 'main.js'));
  const { NestFactory } = load('@nestjs/core') as typeof import('@nestjs/core');
  const { AppModule } = load('./app.module.js') as typeof import('../src/app.module');
  const { loadConfig } = load('./config/app-config.js') as typeof import('../src/config/app-config');
  const { configureHttpApp, HTTP_APP_OPTIONS } = load('./http-app.js') as typeof import('../src/http-app');
  const { createHttpAdapter } = load('./http-server.js') as typeof import('../src/http-server');

  // The key itself is never used.
  const config = loadConfig({ DATABASE_URL: databaseUrl, APP_ROLE: 'api', LOG_LEVEL: 'warn', ...env });
  const app = await NestFactory.create<import('@nestjs/platform-fastify').NestFastifyApplication>(
    AppModule.forRoot(config),
    createHttpAdapter(config),
    { ...HTTP_APP_OPTIONS, logger: ['error', 'warn'] },
  );
  try {
    configureHttpApp(app);
    await app.init();
    const fastify = app.getHttpAdapter().getInstance();
    await fastify.ready();
    const res = await fastify.inject({ method: 'GET', url: '/docs-json' });
    if (res.statusCode !== 200) throw new Error(`GET /docs-json answered ${res.statusCode}: ${res.body.slice(0, 500)}`);
    return res.json();
  } finally {
    await app.close();
  }
}

/** Every problem Redocly finds, warnings included, one line each. */
function redoclyLint(file: string): string[] {
  const lint = spawnSync(
    join(ROOT, 'node_modules/.bin/redocly'),
    ['lint', file, '--format=json', `--config=${REDOCLY_CONFIG}`],
    {
      cwd: ROOT,
      encoding: 'utf8',
      // No usage report and no update check: CI may run without network.
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
    },
  );
  if (lint.error) throw lint.error;
  let report: {
    problems: Array<{ ruleId: string; severity: string; message: string; location: Array<{ pointer: string }> }>;
  };
  try {
    report = JSON.parse(lint.stdout) as typeof report;
  } catch {
    throw new Error(`redocly lint gave no report (exit ${lint.status}): ${lint.stderr}`);
  }
  return report.problems.map(
    ({ ruleId, severity, message, location }) => `${severity} ${ruleId} at ${location[0]?.pointer}: ${message}`,
  );
}

async function main(keep: boolean): Promise<number> {
  const work = mkdtempSync(join(tmpdir(), 'openapi-lint-'));
  const dist = join(work, 'dist');
  // The compiled files find their packages through this link, as dist/ finds ../node_modules.
  symlinkSync(join(ROOT, 'node_modules'), join(work, 'node_modules'), 'dir');
  try {
    let started = Date.now();
    compileWithSwaggerPlugin(dist);
    console.log(`compiled src/ with the Swagger plugin in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    started = Date.now();
    const database = await throwawayDatabase();
    const documents: Array<[string, unknown]> = [];
    try {
      for (const [mode, env] of Object.entries(MODES))
        documents.push([mode, await servedDocument(dist, database.url, env)]);
    } finally {
      await database.drop();
    }
    console.log(`booted the service and read /docs-json in ${((Date.now() - started) / 1000).toFixed(1)} s`);

    const outDir = mkdtempSync(join(tmpdir(), 'openapi-document-'));
    let problems = 0;
    for (const [mode, document] of documents) {
      const file = join(outDir, `${mode}.json`);
      writeFileSync(file, `${JSON.stringify(document, null, 2)}\n`);
      const found = redoclyLint(file);
      console.log(
        `${mode}: ${found.length === 0 ? 'clean' : `${found.length} problem(s)`}${keep || found.length > 0 ? `, kept: ${file}` : ''}`,
      );
      for (const problem of found) console.log(`  ${problem}`);
      problems += found.length;
    }
    if (problems === 0 && !keep) rmSync(outDir, { recursive: true, force: true });
    return problems === 0 ? 0 : 1;
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

main(process.argv.includes('--keep')).then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
