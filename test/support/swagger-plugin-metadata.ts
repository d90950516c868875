import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { SwaggerModule } from '@nestjs/swagger';
import { ReadonlyVisitor } from '@nestjs/swagger/plugin';
import ts from 'typescript';

const ROOT = resolve(__dirname, '../..');
const SRC = join(ROOT, 'src');

/**
 * What the @nestjs/swagger CLI plugin adds to the classes when `nest build` compiles src/ (the DTOs' types,
 * class-validator rules and TSDoc; the controllers' return types), loaded into this process's classes.
 * Jest compiles with SWC, which runs no TypeScript plugin: without this, /docs-json under jest would lack
 * every schema the plugin writes. It is the plugin's own "readonly" mode, the one Nest documents for SWC
 * builds, with the options of nest-cli.json. Call it before the app builds its document.
 *
 * One difference remains, and the DTOs allow for it: where a property has an explicit @ApiProperty, its
 * type comes from reflection, and SWC reflects `string | null` as Object and `T[]` as a bare Array where
 * tsc's plugin fills in the type. Such decorators name the type themselves (see message.dto.ts).
 */
export async function loadSwaggerPluginMetadata(): Promise<void> {
  const program = ReadonlyVisitor.createTsProgram(join(ROOT, 'tsconfig.json'));
  const visitor = new ReadonlyVisitor({ ...pluginOptions(), pathToSource: SRC });
  for (const sourceFile of program.getSourceFiles()) {
    if (!sourceFile.isDeclarationFile) visitor.visit(program, sourceFile);
  }
  // The visitor yields TypeScript expressions (`await import("./messages/dto/message.dto")`, schema
  // literals): printed as a module, compiled to CommonJS, and run with imports resolved against src/.
  const typeImports = Object.entries(visitor.typeImports).map(
    ([path, expression]) => `[${JSON.stringify(path)}]: ${expression}`,
  );
  const printer = ts.createPrinter({ newLine: ts.NewLineKind.LineFeed });
  const file = ts.createSourceFile('metadata.ts', '', ts.ScriptTarget.Latest, false, ts.ScriptKind.TS);
  // Nodes where the plugin has an expression; nested plain objects (class -> property -> ...) around them.
  const literal = (value: unknown): string =>
    Array.isArray(value)
      ? `[${value.map(literal).join(', ')}]`
      : isNode(value)
        ? printer.printNode(ts.EmitHint.Unspecified, value, file)
        : `{${Object.entries(value as object)
            .map(([key, inner]) => `${JSON.stringify(key)}: ${literal(inner)}`)
            .join(', ')}}`;
  const metadata = literal({ '@nestjs/swagger': visitor.collect() });
  const source = `module.exports = async () => { const t = {${typeImports.join(', ')}}; return ${metadata}; };`;
  const { outputText } = ts.transpileModule(source, {
    compilerOptions: { module: ts.ModuleKind.CommonJS, target: ts.ScriptTarget.ES2022 },
  });
  const module = { exports: {} as () => Promise<Record<string, unknown>> };
  const requireFromSrc = (specifier: string): unknown =>
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- resolves the generated file's requires at run time
    require(specifier.startsWith('.') ? join(SRC, specifier) : specifier);
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- evaluates the metadata file the plugin just generated
  new Function('module', 'exports', 'require', outputText)(module, module.exports, requireFromSrc);
  await SwaggerModule.loadPluginMetadata(module.exports);
}

const isNode = (value: unknown): value is ts.Node => typeof (value as ts.Node | undefined)?.kind === 'number';

function pluginOptions(): Record<string, unknown> {
  const nestCli = JSON.parse(readFileSync(join(ROOT, 'nest-cli.json'), 'utf8')) as {
    compilerOptions?: { plugins?: Array<string | { name: string; options?: Record<string, unknown> }> };
  };
  const nameOf = (plugin: string | { name: string }) => (typeof plugin === 'string' ? plugin : plugin.name);
  const swagger = nestCli.compilerOptions?.plugins?.find((plugin) => nameOf(plugin) === '@nestjs/swagger');
  if (!swagger) throw new Error('nest-cli.json lists no @nestjs/swagger plugin');
  return typeof swagger === 'string' ? {} : { ...swagger.options };
}
