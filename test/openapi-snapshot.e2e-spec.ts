import 'reflect-metadata';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadSwaggerPluginMetadata } from './support/swagger-plugin-metadata';
import { createTestApp } from './support/test-app';

/**
 * /docs-json changes only when someone means it to: the document production serves (the Swagger plugin's
 * metadata loaded, see swagger-plugin-metadata.ts) must equal the snapshot in test/snapshots, with API keys
 * and in open mode. A refactor leaves it as it is; a change to the API updates the snapshot in the same
 * commit, where review sees it: UPDATE_OPENAPI_SNAPSHOT=1 npx jest test/openapi-snapshot rewrites it.
 */
const SNAPSHOTS = join(__dirname, 'snapshots');
const MODES = {
  'api-keys': { API_KEYS: 'alpha:openapi-snapshot-secret-0123456789' },
  'open-mode': {},
} as const;

describe('The OpenAPI document, against its snapshot', () => {
  beforeAll(() => loadSwaggerPluginMetadata(), 120_000);

  it.each(Object.entries(MODES))('is unchanged (%s)', async (mode, env) => {
    const t = await createTestApp({ env });
    try {
      const document = (await t.http.get('/docs-json').expect(200)).body;
      const file = join(SNAPSHOTS, `openapi.${mode}.json`);
      if (process.env.UPDATE_OPENAPI_SNAPSHOT === '1') writeFileSync(file, `${JSON.stringify(document, null, 2)}\n`);
      expect(document).toEqual(JSON.parse(readFileSync(file, 'utf8')));
    } finally {
      await t.close();
    }
  });
});
