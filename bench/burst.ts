/**
 * npm run burst [-- --provider telegram --count 2000]
 *
 * Sends a burst to one messenger through the real service (in-process, emulators with the messenger's
 * real limits) twice, with the dispatcher's pacing off and then on, and reports how long delivery took
 * and how many 429-class answers it met. Uses DATABASE_URL when set, else an embedded PostgreSQL.
 */
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Client } from 'pg';
import { AppModule } from '../src/app.module';
import { DEFAULT_CLIENT } from '../src/auth/api-keys';
import { loadConfig } from '../src/config/app-config';
import { startEmbeddedPostgres } from '../src/database/embedded-postgres';
import { DispatchService } from '../src/dispatch/dispatch.service';
import { MessagesService } from '../src/messages/messages.service';
import type { MessengerName } from '../src/providers/messengers';
import { isMessengerName, MESSENGER_RULES } from '../src/providers/messengers';

const { values } = parseArgs({
  options: { provider: { type: 'string', default: 'telegram' }, count: { type: 'string', default: '2000' } },
});
const provider = values.provider as MessengerName;
const count = Number(values.count);
if (!isMessengerName(provider) || !(count > 0 && count <= 100_000))
  throw new Error('usage: --provider telegram|whatsapp|viber --count 1..100000');

const recipientFor: Record<MessengerName, (i: number) => string> = {
  telegram: (i) => String(100_000_000 + i),
  whatsapp: (i) => `+4915${String(i).padStart(9, '0')}`,
  viber: (i) => `burst-${i}`,
};

async function run(serverUrl: string, pacing: 'on' | 'off') {
  const database = `burst_${pacing}_${Date.now()}`;
  const admin = new Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE "${database}"`);
  const url = new URL(serverUrl);
  url.pathname = `/${database}`;
  const config = loadConfig({
    DATABASE_URL: url.toString(),
    APP_ROLE: 'api', // no cron: this script drives the dispatcher itself
    DISPATCH_PACING: pacing,
    DISPATCH_BATCH_SIZE: '500',
    DISPATCH_CONCURRENCY: '50',
    DISPATCH_SEND_TIMEOUT_MS: '5000',
    EMULATOR_LATENCY_MS: '20',
    EMULATOR_FAILURE_RATE: '0',
    EMULATOR_RATE_LIMITED_RATE: '0',
    EMULATOR_PERMANENT_RATE: '0',
    RETRY_BASE_DELAY_MS: '1000',
  });
  const app = await NestFactory.createApplicationContext(AppModule.forRoot(config), { logger: ['error', 'warn'] });
  Logger.overrideLogger(['error']);
  const client = new Client({ connectionString: url.toString() });
  await client.connect();
  try {
    const recipients = Array.from({ length: count }, (_, i) => ({ provider, recipient: recipientFor[provider](i) }));
    for (let i = 0; i < recipients.length; i += 1000) {
      await app
        .get(MessagesService)
        .create(DEFAULT_CLIENT, { body: `burst ${pacing}`, recipients: recipients.slice(i, i + 1000) });
    }
    const started = Date.now();
    const dispatch = app.get(DispatchService);
    const deadline = started + 10 * 60_000;
    let pending = count;
    while (pending > 0 && Date.now() < deadline) {
      await dispatch.dispatchDue();
      const { rows } = await client.query(
        `SELECT count(*)::int AS n FROM messages WHERE status IN ('pending', 'sending')`,
      );
      pending = rows[0].n;
      if (pending > 0) await new Promise((r) => setTimeout(r, 100));
    }
    const seconds = (Date.now() - started) / 1000;
    const { rows } = await client.query(`
      SELECT (SELECT count(*)::int FROM messages WHERE status = 'sent') AS sent,
             (SELECT count(*)::int FROM message_attempts WHERE outcome = 'rate_limited') AS rate_limited,
             (SELECT count(*)::int FROM message_attempts) AS attempts`);
    return {
      pacing,
      seconds: Math.round(seconds * 10) / 10,
      perSecond: Math.round(rows[0].sent / seconds),
      ...rows[0],
    };
  } finally {
    await client.end();
    await app.close();
    await admin.query(`DROP DATABASE IF EXISTS "${database}" WITH (FORCE)`);
    await admin.end();
  }
}

async function main() {
  let serverUrl = process.env.DATABASE_URL;
  const embedded = serverUrl
    ? undefined
    : await startEmbeddedPostgres({
        dir: mkdtempSync(join(tmpdir(), 'burst-pg-')),
        database: 'postgres',
        persistent: false,
      });
  serverUrl ??= embedded!.url;
  const { limits } = MESSENGER_RULES[provider];
  console.log(`${count} messages to ${provider}, whose limit is ${limits.count} per ${limits.windowMs} ms`);
  const results = [];
  for (const pacing of ['off', 'on'] as const) results.push(await run(serverUrl, pacing));
  console.table(results);
  mkdirSync('bench-results', { recursive: true });
  const file = join('bench-results', `burst-${provider}.json`);
  writeFileSync(file, JSON.stringify({ provider, count, limits, results, at: new Date().toISOString() }, null, 2));
  console.log(`written to ${file}`);
  await embedded?.stop();
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
