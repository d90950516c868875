import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { isBuiltin } from 'node:module';
import { join, relative, resolve, sep } from 'node:path';
import * as ts from 'typescript';

/*
 * "Config imports no feature module": what src/config imports from elsewhere must be a leaf, a module that
 * reaches, through its imports and theirs, no @nestjs package and nothing under src/config. Then no import
 * cycle can pass through config, and a feature module can import config without config importing it back.
 * The graph is the real one: TypeScript reads every file's imports and resolves them as the compiler does.
 */

const ROOT = resolve(__dirname, '../..');
const CONFIG = join(ROOT, 'src/config');
const { options } = ts.parseJsonConfigFileContent(
  ts.readConfigFile(join(ROOT, 'tsconfig.json'), (path) => ts.sys.readFile(path)).config,
  ts.sys,
  ROOT,
);

const rel = (file: string) => relative(ROOT, file).split(sep).join('/');
const inConfig = (file: string) => !relative(CONFIG, file).startsWith('..');

/** A file of this project, or a package (by its specifier). */
type Import = { file: string } | { pkg: string };

const importsByFile = new Map<string, Import[]>();

/** Everything a file imports: import (type or not), export … from, require() and import(). */
function importsOf(file: string): Import[] {
  const known = importsByFile.get(file);
  if (known) return known;
  const { importedFiles } = ts.preProcessFile(readFileSync(file, 'utf8'), true, true);
  const imports = importedFiles.map(({ fileName: specifier }): Import => {
    const resolved = ts.resolveModuleName(specifier, file, options, ts.sys).resolvedModule;
    if (resolved && !resolved.isExternalLibraryImport) return { file: resolved.resolvedFileName };
    if (specifier.startsWith('.')) throw new Error(`${rel(file)} imports ${specifier}, which does not resolve`);
    return { pkg: specifier };
  });
  importsByFile.set(file, imports);
  return imports;
}

/** @nestjs/* itself, or a package that depends on it (nestjs-pino): either way, Nest comes in. */
function bringsNest(specifier: string): boolean {
  if (isBuiltin(specifier)) return false;
  const name = specifier
    .split('/')
    .slice(0, specifier.startsWith('@') ? 2 : 1)
    .join('/');
  if (name.startsWith('@nestjs/')) return true;
  const manifest = join(ROOT, 'node_modules', name, 'package.json');
  if (!existsSync(manifest)) return false;
  const { dependencies = {}, peerDependencies = {} } = JSON.parse(readFileSync(manifest, 'utf8'));
  return [...Object.keys(dependencies), ...Object.keys(peerDependencies)].some((dep) => dep.startsWith('@nestjs/'));
}

/** The chain of imports by which `file` reaches Nest or src/config; null when it reaches neither: a leaf. */
function wayOut(file: string, seen = new Set<string>()): string[] | null {
  if (inConfig(file)) return [rel(file)];
  if (seen.has(file)) return null;
  seen.add(file);
  for (const imported of importsOf(file)) {
    const rest = 'pkg' in imported ? (bringsNest(imported.pkg) ? [imported.pkg] : null) : wayOut(imported.file, seen);
    if (rest) return [rel(file), ...rest];
  }
  return null;
}

/** Every module of config (specs aside), and each file outside src/config it imports. */
const configImports = readdirSync(CONFIG, { recursive: true, encoding: 'utf8' })
  .filter((name) => name.endsWith('.ts') && !name.endsWith('.spec.ts'))
  .map((name) => join(CONFIG, name))
  .flatMap((from) =>
    importsOf(from).flatMap((imported) =>
      'file' in imported && !inConfig(imported.file) ? [{ from, file: imported.file }] : [],
    ),
  );

describe('what config imports', () => {
  it('is, outside src/config, only leaves: modules that reach no @nestjs package and nothing under src/config', () => {
    const offenders = configImports.flatMap(({ from, file }) => {
      const way = wayOut(file);
      return way ? [[rel(from), ...way].join(' → ')] : [];
    });
    expect(offenders).toEqual([]);
  });

  it('is read from the real import graph: config uses the API_KEYS and CORS_ORIGINS parsers where they live', () => {
    expect(configImports.map(({ from, file }) => `${rel(from)} → ${rel(file)}`)).toEqual(
      expect.arrayContaining([
        'src/config/app-config.ts → src/auth/api-keys.ts',
        'src/config/app-config.ts → src/common/cors-origins.ts',
      ]),
    );
  });

  it('counts as a leaf only a module from which no chain of imports reaches Nest or config', () => {
    expect(wayOut(join(ROOT, 'src/auth/api-keys.ts'))).toBeNull();
    expect(wayOut(join(ROOT, 'src/app.module.ts'))).toEqual(['src/app.module.ts', '@nestjs/common']);
    expect(wayOut(join(ROOT, 'src/database/data-source-options.ts'))).toEqual([
      'src/database/data-source-options.ts',
      'src/config/app-config.ts',
    ]);
  });

  it('takes a package built on Nest for Nest, and plain packages and Node built-ins for leaves', () => {
    expect(['@nestjs/common', 'nestjs-pino', 'pg', 'class-validator', 'node:crypto'].filter(bringsNest)).toEqual([
      '@nestjs/common',
      'nestjs-pino',
    ]);
  });
});
