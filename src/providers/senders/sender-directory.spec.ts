import { Logger } from '@nestjs/common';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvalidConfigError, loadConfig } from '../../config/app-config';
import { secrets } from '../../logging/secret-scrubber';
import { SenderDirectory } from './sender-directory';

const TOKEN = '123456:AAE-sender-directory-spec';
const OTHER_TOKEN = '654321:AAE-sender-directory-spec';

describe('SenderDirectory', () => {
  const dir = mkdtempSync(join(tmpdir(), 'sender-directory-'));
  const file = join(dir, 'senders.json');
  const directories: SenderDirectory[] = [];
  const warned: string[] = [];
  const errors: string[] = [];

  const write = (entries: unknown) =>
    writeFileSync(file, typeof entries === 'string' ? entries : JSON.stringify(entries));
  const account = (client: string, name: string, token = TOKEN) => ({ client, provider: 'telegram', name, token });
  const open = (env: Record<string, string> = {}) => {
    const directory = new SenderDirectory(
      loadConfig({ SENDERS_FILE: file, SENDERS_POLL_INTERVAL_MS: '3600000', ...env }),
    );
    directories.push(directory);
    return directory;
  };

  beforeEach(() => {
    warned.length = 0;
    errors.length = 0;
    jest.spyOn(Logger.prototype, 'warn').mockImplementation((message: unknown) => void warned.push(String(message)));
    jest.spyOn(Logger.prototype, 'error').mockImplementation((message: unknown) => void errors.push(String(message)));
    jest.spyOn(Logger.prototype, 'log').mockImplementation(() => undefined);
  });
  afterEach(() => {
    jest.restoreAllMocks();
    for (const directory of directories.splice(0)) directory.onModuleDestroy();
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('has no accounts without SENDERS_FILE', () => {
    const directory = new SenderDirectory(loadConfig({}));
    expect(directory.all).toEqual([]);
    expect(directory.accountFor('default', 'telegram')).toBeUndefined();
    expect(directory.reload()).toBe(false);
  });

  it('answers a client’s own account before the "*" one, and an account by name', () => {
    write([account('billing', 'billing-bot'), account('*', 'shared-bot', OTHER_TOKEN)]);
    const directory = open({ API_KEYS: 'billing:billing-secret-0123456789,shop:shop-secret-0123456789' });
    expect(directory.accountFor('billing', 'telegram')?.name).toBe('billing-bot');
    expect(directory.accountFor('shop', 'telegram')?.name).toBe('shared-bot');
    expect(directory.accountFor('shop', 'viber')).toBeUndefined();
    expect(directory.named('shared-bot')?.client).toBe('*');
    expect(directory.named('gone')).toBeUndefined();
  });

  it('registers every token with the log scrubber as it reads them', () => {
    write([account('*', 'scrubbed-bot', '999999:AAE-registered-with-the-scrubber')]);
    open();
    expect(secrets.scrub('GET /bot999999:AAE-registered-with-the-scrubber/x')).toBe('GET /bot[REDACTED]/x');
  });

  it('warns about an account of a client no API key names', () => {
    write([account('biling', 'typo-bot')]);
    open({ API_KEYS: 'billing:billing-secret-0123456789' });
    expect(warned).toEqual([expect.stringContaining('sender account "typo-bot" is for client "biling"')]);
  });

  it('refuses to start on a bad file, naming the entry and not the token', () => {
    // loadConfig refuses it first; the directory refuses it too when the file went bad in between.
    write([account('*', 'good-bot')]);
    const config = loadConfig({ SENDERS_FILE: file });
    write([{ ...account('*', 'bad-bot'), provider: 'telegraph' }]);
    expect(() => new SenderDirectory(config)).toThrow(InvalidConfigError);
    expect(() => new SenderDirectory(config)).toThrow(/entry 1 \("bad-bot"\): provider must be one of/);
    expect(() => loadConfig({ SENDERS_FILE: file })).toThrow(/entry 1 \("bad-bot"\)/);
  });

  it('takes a good new file on reload, tells listeners, and keeps the old accounts when the new file is bad', () => {
    write([account('*', 'first-bot')]);
    const directory = open();
    const seen: string[][] = [];
    directory.onChange((accounts) => seen.push(accounts.map((a) => a.name)));

    write([account('*', 'second-bot')]);
    expect(directory.reload()).toBe(true);
    expect(seen).toEqual([['second-bot']]);

    write(`[{"client":"*","provider":"telegram","name":"third-bot","token":"${OTHER_TOKEN}",}]`);
    expect(directory.reload()).toBe(false);
    expect(directory.reload()).toBe(false);
    expect(directory.named('second-bot')).toBeDefined();
    expect(errors).toHaveLength(1); // reported once, not on every poll
    expect(errors[0]).toMatch(/not valid JSON.*keeping the 1 sender account/);
    expect(errors[0]).not.toContain(OTHER_TOKEN);
    expect(seen).toHaveLength(1);
  });
});
