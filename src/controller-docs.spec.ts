import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const SRC = __dirname;

const controllers = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return controllers(path);
    return entry.name.endsWith('.controller.ts') ? [path] : [];
  });

/** The decorators that document an operation (as opposed to a controller's tag, or a DTO's properties). */
const OPERATION_DOCS =
  /@(ApiOperation|ApiParam|ApiQuery|ApiHeader|ApiBody|ApiResponse|ApiExampleResponse|ApiErrorResponse)\(/g;

/**
 * A controller reads as its routes and their handlers: each route's OpenAPI documentation is one
 * applyDecorators helper, in the .api-docs.ts file beside the controller.
 */
describe('Controllers', () => {
  it.each(controllers(SRC).map((file) => [relative(SRC, file), file]))(
    '%s documents its routes from its .api-docs.ts',
    (_name, file) => {
      const source = readFileSync(file, 'utf8');
      const inline = [...source.matchAll(OPERATION_DOCS)].map(([decorator]) => decorator);
      const docs = file.replace(/\.controller\.ts$/, '.api-docs.ts');

      expect(inline).toEqual([]);
      if (/@(Get|Post|Put|Patch|Delete)\(/.test(source) && !/@ApiExcludeController\(/.test(source)) {
        expect(existsSync(docs)).toBe(true);
      }
    },
  );
});
