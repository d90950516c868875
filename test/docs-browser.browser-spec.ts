import { existsSync, mkdirSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { aMessageRequest } from './support/factories';
import type { TestApp } from './support/test-app';
import { createTestApp } from './support/test-app';

/**
 * The OpenAPI UI as a backend developer first meets the service: a real headless Chromium opens /docs,
 * finds every operation of /docs-json listed, is refused (401) by "Try it out" on POST /messages until it
 * enters its API key under "Authorize", and then queues a message (202).
 * Chromium is not optional: without it this spec fails (CI installs Debian's chromium).
 */

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const SCREENSHOTS = join(__dirname, '..', 'bench-results');
/** Per step: the page is local, so anything slower than this is a hang, not a slow machine. */
const STEP_TIMEOUT_MS = 5_000;
/** The whole walk: a dozen steps, which on a busy machine add up to more than jest's 30 s. */
const WALK_TIMEOUT_MS = 90_000;
const API_KEY = 'docs-browser-secret-0123456789';

interface CreateAnswer {
  messages: Array<{ id: string; status: string; duplicate: boolean }>;
}

interface ListedOperation {
  method: string;
  path: string;
}

describe('the OpenAPI UI at /docs, in a browser', () => {
  let t: TestApp;
  let base: string;
  let browser: Browser;
  let page: Page;
  /** Requests the page made to anything but the service: the UI must work offline. */
  const foreignRequests: string[] = [];
  /** What the Content-Security-Policy (helmet's) kept the page from doing: nothing, or the UI is broken. */
  const cspViolations: string[] = [];

  beforeAll(async () => {
    if (!existsSync(CHROMIUM)) {
      throw new Error(
        `No Chromium at ${CHROMIUM}: this spec needs one. Install Debian's (apt-get install -y chromium, as .ci/run does) ` +
          'or set CHROMIUM_PATH to a Chromium binary.',
      );
    }
    t = await createTestApp({ env: { API_KEYS: `docs-browser:${API_KEY}` } });
    await t.app.listen(0, '127.0.0.1');
    const { port } = t.app.getHttpServer().address() as AddressInfo;
    base = `http://127.0.0.1:${port}`;

    // A fresh profile in a temporary directory: launch() gives every run its own.
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      timeout: 15_000,
      args: [
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    });
    page = await browser.newPage({ viewport: { width: 1280, height: 2000 } });
    page.setDefaultTimeout(STEP_TIMEOUT_MS);
    page.setDefaultNavigationTimeout(10_000);
    page.on('console', (message) => {
      if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
    });
    await page.route('**/*', (route) => {
      const url = route.request().url();
      if (url.startsWith(`${base}/`) || url.startsWith('data:')) return route.continue();
      foreignRequests.push(url);
      return route.abort();
    });
  }, 30_000);

  afterAll(async () => {
    await browser?.close();
    await t?.close();
  });

  /** Runs one step of the walk-through; on failure, a screenshot of the page is kept and named. */
  async function step<T>(name: string, action: () => Promise<T>): Promise<T> {
    try {
      return await action();
    } catch (error) {
      mkdirSync(SCREENSHOTS, { recursive: true });
      const file = join(SCREENSHOTS, `docs-browser-failed-${name.replace(/\W+/g, '-')}.png`);
      await page.screenshot({ path: file, fullPage: true }).catch(() => undefined);
      throw new Error(
        `step "${name}" failed (screenshot: ${file}): ${error instanceof Error ? error.message : String(error)}`,
        {
          cause: error,
        },
      );
    }
  }

  it(
    'renders, lists every operation of /docs-json, and "Try it out" on POST /messages is 401 until authorised, then 202',
    async () => {
      const document = (await t.http.get('/docs-json').expect(200)).body as {
        paths: Record<string, Record<string, { operationId: string; tags?: string[] }>>;
      };
      const documented: ListedOperation[] = Object.entries(document.paths).flatMap(([path, operations]) =>
        Object.keys(operations).map((method) => ({ method: method.toUpperCase(), path })),
      );
      expect(documented.length).toBeGreaterThanOrEqual(7);

      await step('open /docs', async () => {
        const res = await page.goto(`${base}/docs`);
        expect(res?.status()).toBe(200);
        await page.locator('.swagger-ui .info .title').waitFor();
        await expect(page.locator('.swagger-ui .info .title').innerText()).resolves.toContain('Messenger dispatch');
      });

      const listed = await step('list the operations', async () => {
        await page.locator('.opblock').first().waitFor();
        return page.$$eval('.opblock', (blocks) =>
          blocks.map((block) => ({
            method: block.querySelector('.opblock-summary-method')?.textContent?.trim() ?? '',
            path: block.querySelector('.opblock-summary-path')?.getAttribute('data-path') ?? '',
          })),
        );
      });
      const key = (op: ListedOperation) => `${op.method} ${op.path}`;
      expect(listed.map(key).sort()).toEqual(documented.map(key).sort());

      const create = document.paths['/messages'].post;
      const block = page.locator(`#operations-${create.tags?.[0] ?? 'default'}-${create.operationId}`);

      await step('expand POST /messages and press "Try it out"', async () => {
        await block.locator('.opblock-summary').click();
        await block.locator('button.try-out__btn').click();
      });

      /** Fills the request body, presses Execute, and reads the status and body the UI shows. */
      async function execute<T = CreateAnswer>(request: object, label: string): Promise<{ status: string; body: T }> {
        await step(`${label}: fill the request body and execute`, async () => {
          const clear = block.locator('button.btn-clear');
          if (await clear.isVisible()) await clear.click();
          await block.locator('textarea.body-param__text').fill(JSON.stringify(request, null, 2));
          await block.locator('button.execute').click();
        });
        return step(`${label}: read the live response`, async () => {
          const response = block.locator('.live-responses-table .response').first();
          await response.locator('.response-col_status').waitFor();
          const status = (await response.locator('.response-col_status').innerText()).trim();
          const text = await response.locator('.response-col_description pre').first().innerText();
          return { status, body: JSON.parse(text) as T };
        });
      }

      const refused = await execute<{ code: string }>(aMessageRequest(), 'before authorising');
      expect(refused).toMatchObject({ status: '401', body: { code: 'UNAUTHENTICATED' } });
      expect(await t.sql('SELECT id FROM messages')).toEqual([]);

      await step('authorise with the API key', async () => {
        await page.locator('.swagger-ui .auth-wrapper button.authorize').click();
        const dialog = page.locator('.swagger-ui .dialog-ux .modal-ux');
        await dialog.locator('input').fill(API_KEY);
        await dialog.locator('button.modal-btn.authorize').click();
        await dialog.locator('button.modal-btn.btn-done').click();
        await dialog.waitFor({ state: 'detached' });
      });

      const first = aMessageRequest();
      const answer = await execute(first, 'first request');
      mkdirSync(SCREENSHOTS, { recursive: true });
      await block.screenshot({ path: join(SCREENSHOTS, 'docs-browser-try-it-out.png') });

      expect(answer.status).toBe('202');
      expect(answer.body.messages).toHaveLength(1);
      const [message] = answer.body.messages;
      expect(message.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(message).toMatchObject({ status: 'pending', duplicate: false });

      // The message the UI queued is really stored.
      const rows = await t.sql('SELECT body, provider, recipient FROM messages WHERE id = $1', [message.id]);
      const [recipient] = first.recipients as Array<{ provider: string; recipient: string }>;
      expect(rows).toEqual([{ body: first.body, provider: recipient.provider, recipient: recipient.recipient }]);

      // A developer edits the body and tries again: a new message, not a replay or an
      // IDEMPOTENCY_KEY_REUSED caused by a key the UI filled in by itself.
      const second = aMessageRequest();
      const again = await execute(second, 'second request');
      expect(again).toMatchObject({ status: '202', body: { messages: [{ duplicate: false }] } });
      expect(again.body.messages[0].id).not.toBe(message.id);
      expect(await t.sql('SELECT body FROM messages WHERE id = $1', [again.body.messages[0].id])).toEqual([
        { body: second.body },
      ]);
      expect(await t.sql('SELECT key FROM idempotency_keys')).toEqual([]);

      expect(foreignRequests).toEqual([]);
      expect(cspViolations).toEqual([]);
    },
    WALK_TIMEOUT_MS,
  );
});
