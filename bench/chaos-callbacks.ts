/**
 * The callbacks' part of npm run chaos: a receiver on 127.0.0.1 that every message's terminal state is
 * posted to (CALLBACK_URLS gives the chaos client a default URL, so the traffic itself is unchanged), and
 * the verdict: every message that reached a terminal state has its event, every event reached the
 * receiver with a 2xx at least once, every request was signed so that the Standard Webhooks library
 * verifies it, and how many events were delivered more than once (allowed: at least once, and receivers
 * deduplicate on webhook-id). The receiver refuses a share of requests with a 500, so retries happen too.
 * npm run bench uses the same receiver, refusing nothing, to measure what callbacks cost dispatch.
 */
import { randomBytes, randomInt } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from 'pg';
import { Webhook } from 'standardwebhooks';

export interface CallbackReceiver {
  readonly url: string;
  /** The services' callback settings, pointing at this receiver. */
  readonly env: Record<string, string>;
  /** 2xx answers per webhook-id. */
  readonly delivered: Map<string, number>;
  requests: number;
  refused: number;
  badSignatures: number;
  close(): Promise<void>;
}

/** `refusedShare`: the share of requests answered 500 (chaos: 5%, so retries happen; bench: none). */
export async function startCallbackReceiver({ refusedShare = 0.05 } = {}): Promise<CallbackReceiver> {
  const secret = `whsec_${randomBytes(32).toString('base64')}`;
  const verifier = new Webhook(secret);
  const state = { requests: 0, refused: 0, badSignatures: 0 };
  const delivered = new Map<string, number>();
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      state.requests++;
      const headers = request.headers as Record<string, string>;
      try {
        verifier.verify(Buffer.concat(chunks).toString('utf8'), headers);
      } catch {
        state.badSignatures++;
        return void response.writeHead(400).end();
      }
      if (Math.random() < refusedShare) {
        state.refused++;
        return void response.writeHead(500).end();
      }
      const id = headers['webhook-id'];
      delivered.set(id, (delivered.get(id) ?? 0) + 1);
      response.writeHead(204).end();
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/${randomInt(1e6)}`;
  return {
    url,
    env: {
      CALLBACK_SECRETS: `default:${secret}`,
      CALLBACK_URLS: `default:${url}`,
      CALLBACK_ALLOW_PRIVATE_NETWORKS: 'true',
      CALLBACK_RETRY_BASE_DELAY_MS: '200',
      CALLBACK_RETRY_MAX_DELAY_MS: '2000',
      CALLBACK_TIMEOUT_MS: '1000',
      CALLBACK_LEASE_MS: '3000',
      CALLBACK_POLL_INTERVAL_MS: '200',
    },
    delivered,
    get requests() {
      return state.requests;
    },
    get refused() {
      return state.refused;
    },
    get badSignatures() {
      return state.badSignatures;
    },
    close: async () => {
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

export interface CallbackReport {
  /** Events written: one per terminal move of a message with a callback_url. */
  callbackEvents: number;
  /** Terminal messages with no event for their state: the outbox missed a move. */
  callbacksMissing: number;
  /** Events the receiver never answered 2xx. */
  callbacksLost: number;
  callbacksDeliveredMoreThanOnce: number;
  callbacksDead: number;
  callbackRequests: number;
  callbacksRefusedByReceiver: number;
  callbackBadSignatures: number;
}

/** Waits (up to `timeoutMs`) for the outbox to drain, then compares it with what the receiver got. */
export async function inspectCallbacks(
  db: Client,
  receiver: CallbackReceiver,
  timeoutMs = 60_000,
): Promise<CallbackReport> {
  const q = async <T>(sql: string, params: unknown[] = []) => (await db.query(sql, params)).rows as T[];
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const [{ n }] = await q<{ n: number }>(`SELECT count(*)::int AS n FROM callback_events WHERE state = 'pending'`);
    if (n === 0) break;
    await sleep(500);
  }
  const [{ n: missing }] = await q<{ n: number }>(
    `SELECT count(*)::int AS n FROM messages m
     WHERE m.status IN ('sent', 'failed', 'cancelled') AND m.callback_url IS NOT NULL
       AND NOT EXISTS (SELECT 1 FROM callback_events e WHERE e.message_id = m.id AND e.type = 'message.' || m.status)`,
  );
  const events = await q<{ id: string; state: string }>(`SELECT id, state FROM callback_events`);
  return {
    callbackEvents: events.length,
    callbacksMissing: missing,
    callbacksLost: events.filter((e) => !receiver.delivered.has(e.id)).length,
    callbacksDeliveredMoreThanOnce: [...receiver.delivered.values()].filter((n) => n > 1).length,
    callbacksDead: events.filter((e) => e.state === 'dead').length,
    callbackRequests: receiver.requests,
    callbacksRefusedByReceiver: receiver.refused,
    callbackBadSignatures: receiver.badSignatures,
  };
}

/** What breaks the guarantee: a missed or undelivered event, or a signature a receiver would reject. */
export function callbackViolations(ordering: string, r: CallbackReport): string[] {
  return [
    ...(r.callbacksMissing ? [`${ordering}: ${r.callbacksMissing} terminal message(s) without a callback event`] : []),
    ...(r.callbacksLost ? [`${ordering}: ${r.callbacksLost} callback(s) never delivered`] : []),
    ...(r.callbackBadSignatures ? [`${ordering}: ${r.callbackBadSignatures} callback(s) badly signed`] : []),
  ];
}
