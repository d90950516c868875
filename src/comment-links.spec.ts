import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';

const ROOT = join(__dirname, '..');

const sourceFiles = (dir: string): string[] =>
  readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.spec.ts') ? [path] : [];
  });

/** The anchor GitHub gives a Markdown heading: lower case, punctuation dropped, spaces as hyphens. */
const slugOf = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, '')
    .replace(/ /g, '-');

const anchorsOf = (markdown: string) =>
  new Set([...markdown.matchAll(/^#{1,6} (.+)$/gm)].map(([, heading]) => slugOf(heading)));

/**
 * Measurements and history live in docs/, and the code points there with a link (docs/x.md#heading): a link
 * that no longer leads anywhere leaves the code's oddity unexplained.
 */
describe('Links from the code to docs/', () => {
  const links = sourceFiles(join(ROOT, 'src')).flatMap((file) =>
    [...readFileSync(file, 'utf8').matchAll(/\bdocs\/([\w./-]+\.md)(?:#([\w-]+))?/g)].map(([link, doc, anchor]) => ({
      from: relative(ROOT, file),
      link,
      doc: join(ROOT, 'docs', doc),
      anchor,
    })),
  );

  it('lead to a document that exists, and to one of its headings', () => {
    const broken = links
      .filter(
        ({ doc, anchor }) =>
          !existsSync(doc) || (anchor !== undefined && !anchorsOf(readFileSync(doc, 'utf8')).has(anchor)),
      )
      .map(({ from, link }) => `${from}: ${link}`);

    expect(links.length).toBeGreaterThan(0);
    expect(broken).toEqual([]);
  });
});
