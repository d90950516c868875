import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import { MESSENGER_NAMES } from './messengers';

/*
 * "A messenger is its folder": outside src/providers/<name>/, a messenger's name (in any case) may appear in
 * at most two production files: the list of definitions (messengers.ts) and the list of Nest wiring
 * (providers.module.ts). Everything else derives what it says about messengers from those lists. Specs and
 * migrations (which record history) aside.
 */

const ROOT = resolve(__dirname, '../..');
const SRC = join(ROOT, 'src');
const MAX_FILES_OUTSIDE_ITS_FOLDER = 2;

const productionFiles = readdirSync(SRC, { recursive: true, encoding: 'utf8' })
  .map((name) => name.split(sep).join('/'))
  .filter((name) => name.endsWith('.ts') && !name.endsWith('.spec.ts') && !name.startsWith('database/migrations/'));

function filesNaming(name: string): string[] {
  const word = new RegExp(name, 'i');
  return productionFiles
    .filter((file) => !file.startsWith(`providers/${name}/`))
    .filter((file) => word.test(readFileSync(join(SRC, file), 'utf8')))
    .map((file) => relative(ROOT, join(SRC, file)).split(sep).join('/'));
}

describe('where a messenger is named', () => {
  it.each(MESSENGER_NAMES)(
    `%s: in at most ${MAX_FILES_OUTSIDE_ITS_FOLDER} production files outside its folder`,
    (name) => {
      const files = filesNaming(name);
      expect({ name, files: files.length > MAX_FILES_OUTSIDE_ITS_FOLDER ? files : 'within bounds' }).toEqual({
        name,
        files: 'within bounds',
      });
    },
  );

  it('finds the lists themselves, so the count is not vacuous', () => {
    expect(filesNaming(MESSENGER_NAMES[0]).sort()).toEqual([
      'src/providers/messengers.ts',
      'src/providers/providers.module.ts',
    ]);
  });
});
