import { setTimeout as sleep } from 'node:timers/promises';
import type { Script } from './support/scripted-messenger';
import { failTransiently, succeed } from './support/scripted-messenger';
import { aRecipient } from './support/factories';
import type { MessageRow } from './support/messages';
import { messageRow, postMessageIds } from './support/messages';
import type { TestApp } from './support/test-app';
import { createTestApp } from './support/test-app';

const MAX_RETRIES = 3;
// Retries wait minutes, as in production; tests make time pass by moving next_attempt_at.
const ENV = { MAX_RETRIES: String(MAX_RETRIES), RETRY_BASE_DELAY_MS: '60000', RETRY_MAX_DELAY_MS: '600000' };

describe('Dispatch', () => {
  let t: TestApp;
  beforeAll(async () => (t = await createTestApp({ env: ENV })));
  afterAll(() => t.close());
  beforeEach(() => t.reset());

  /** Skips the backoff of a message waiting for a retry. */
  const makeDueNow = (id: string) =>
    t.sql(`UPDATE messages SET next_attempt_at = now() WHERE id = $1 AND status = 'pending'`, [id]);
  /** Dispatches, the way ticks would, until the message is sent or failed; bounded. */
  const dispatchUntilSettled = async (id: string, maxTicks = 20): Promise<MessageRow> => {
    for (let tick = 0; tick < maxTicks; tick++) {
      await t.dispatch.dispatchDue();
      const current = await messageRow(t, id);
      if (current.status !== 'pending' && current.status !== 'sending') return current;
      await makeDueNow(id);
    }
    throw new Error(`message ${id} did not settle within ${maxTicks} ticks`);
  };

  it('sends a message to three recipients on three messengers in one pass', async () => {
    const recipients = [aRecipient.telegram(), aRecipient.whatsapp(), aRecipient.viber()];
    const ids = await postMessageIds(t, { body: 'Hello from the dispatcher', recipients });

    const summary = await t.dispatch.dispatchDue();

    expect(summary).toMatchObject({ claimed: 3, sent: 3, retried: 0, failed: 0 });
    for (const [i, id] of ids.entries()) {
      const sent = await messageRow(t, id);
      expect(sent).toMatchObject({
        status: 'sent',
        attempts: 1,
        retries_count: 0,
        next_attempt_at: null,
        locked_until: null,
      });
      expect(sent.provider_message_id).toBe(`sent-${id}`);
      expect(sent.sent_at).toBeInstanceOf(Date);
      const messenger = t.messengers[recipients[i].provider as 'telegram'];
      expect(messenger.callsFor(id)).toEqual([
        { id, recipient: recipients[i].recipient, body: 'Hello from the dispatcher', sender: null },
      ]);
    }
  });

  it('leaves nothing to do once the queue is drained', async () => {
    await postMessageIds(t);
    await t.dispatch.dispatchDue();
    expect(await t.dispatch.dispatchDue()).toMatchObject({ claimed: 0 });
  });

  it('drains more than one batch in one pass', async () => {
    const recipients = Array.from({ length: 250 }, () => aRecipient.telegram());
    await postMessageIds(t, { recipients });

    const summary = await t.dispatch.dispatchDue(); // DISPATCH_BATCH_SIZE is 100

    expect(summary).toMatchObject({ claimed: 250, sent: 250 });
  });

  describe('send_at', () => {
    it('does not attempt a message before its send_at, and sends it once due', async () => {
      const sendAt = new Date(Date.now() + 60 * 60_000).toISOString();
      const [id] = await postMessageIds(t, { send_at: sendAt });

      expect(await t.dispatch.dispatchDue()).toMatchObject({ claimed: 0 });
      expect(t.messengers.telegram.calls).toHaveLength(0);

      // An hour passes.
      await t.sql(
        `UPDATE messages SET send_at = send_at - interval '1 hour', next_attempt_at = next_attempt_at - interval '1 hour'`,
      );
      await t.dispatch.dispatchDue();
      expect((await messageRow(t, id)).status).toBe('sent');
    });

    it('sends a message scheduled a moment ahead no earlier than send_at, by the real clock', async () => {
      const [id] = await postMessageIds(t, { send_at: new Date(Date.now() + 1500).toISOString() });

      let sent = await messageRow(t, id);
      for (let tick = 0; tick < 400 && sent.status === 'pending'; tick++) {
        await t.dispatch.dispatchDue();
        sent = await messageRow(t, id);
        await sleep(10); // the condition is the clock itself: poll it, bounded
      }

      expect(sent.status).toBe('sent');
      expect(sent.sent_at!.getTime()).toBeGreaterThanOrEqual(sent.send_at.getTime());
      expect(t.messengers.telegram.callsFor(id)).toHaveLength(1);
    });

    it('sends a message whose send_at is in the past at once', async () => {
      const [id] = await postMessageIds(t, { send_at: '2020-01-01T00:00:00Z' });
      await t.dispatch.dispatchDue();
      expect((await messageRow(t, id)).status).toBe('sent');
    });
  });

  describe('retries', () => {
    it('tries a message that always fails 1 + MAX_RETRIES times, then fails it with retries_count = MAX_RETRIES', async () => {
      t.messengers.telegram.script = failTransiently;
      const [id] = await postMessageIds(t);

      const failed = await dispatchUntilSettled(id);

      expect(failed).toMatchObject({
        status: 'failed',
        retries_count: MAX_RETRIES,
        attempts: 1 + MAX_RETRIES,
        last_error: 'scripted outage',
      });
      expect(failed.next_attempt_at).toBeNull();
      expect(t.messengers.telegram.callsFor(id)).toHaveLength(1 + MAX_RETRIES);
    });

    it('sends a message that fails twice on the third attempt, with retries_count 2 and the last error kept', async () => {
      t.messengers.telegram.script = (_m, call) =>
        call <= 2
          ? { outcome: 'retry', code: '502', description: `outage ${call}` }
          : { outcome: 'sent', providerMessageId: 'third' };
      const [id] = await postMessageIds(t);

      const sent = await dispatchUntilSettled(id);

      expect(sent).toMatchObject({
        status: 'sent',
        retries_count: 2,
        attempts: 3,
        last_error: 'outage 2',
        provider_message_id: 'third',
      });
    });

    it('fails a message at once on a permanent error, spending no retry', async () => {
      t.messengers.telegram.script = () => ({
        outcome: 'failed',
        code: '400',
        description: 'Bad Request: chat not found',
      });
      const [id] = await postMessageIds(t);

      await t.dispatch.dispatchDue();

      expect(await messageRow(t, id)).toMatchObject({
        status: 'failed',
        retries_count: 0,
        attempts: 1,
        last_error: 'Bad Request: chat not found',
        last_error_code: '400',
      });
    });

    it('counts a messenger that throws or hangs as a transient failure', async () => {
      const hanging = await createTestApp({ database: t.database, env: { ...ENV, DISPATCH_SEND_TIMEOUT_MS: '50' } });
      try {
        hanging.messengers.telegram.script = () => new Promise(() => undefined);
        hanging.messengers.viber.script = () => {
          throw new Error('socket hang up');
        };
        const [slow, broken] = await postMessageIds(t, { recipients: [aRecipient.telegram(), aRecipient.viber()] });

        await hanging.dispatch.dispatchDue();

        expect(await messageRow(t, slow)).toMatchObject({
          status: 'pending',
          retries_count: 1,
          last_error: 'no answer within 50 ms',
          last_error_code: 'timeout',
        });
        expect(await messageRow(t, broken)).toMatchObject({
          status: 'pending',
          retries_count: 1,
          last_error: 'socket hang up',
          last_error_code: 'exception',
        });
      } finally {
        await hanging.close();
      }
    });

    it('backs off exponentially: the first retry waits between half and all of RETRY_BASE_DELAY_MS', async () => {
      t.messengers.telegram.script = failTransiently;
      const [id] = await postMessageIds(t);

      await t.dispatch.dispatchDue();
      const [{ wait_ms }] = await t.sql<{ wait_ms: string }>(
        `SELECT extract(epoch FROM next_attempt_at - updated_at) * 1000 AS wait_ms FROM messages WHERE id = $1`,
        [id],
      );
      expect(Number(wait_ms)).toBeGreaterThanOrEqual(30_000);
      expect(Number(wait_ms)).toBeLessThanOrEqual(60_000);

      // Not due yet: the next pass leaves it alone.
      expect(await t.dispatch.dispatchDue()).toMatchObject({ claimed: 0 });
      expect(t.messengers.telegram.callsFor(id)).toHaveLength(1);
    });

    it('doubles the wait with each retry', async () => {
      t.messengers.telegram.script = failTransiently;
      const [id] = await postMessageIds(t);
      const waits: number[] = [];
      for (let retry = 1; retry <= MAX_RETRIES; retry++) {
        await t.dispatch.dispatchDue();
        const [{ wait_ms }] = await t.sql<{ wait_ms: string }>(
          `SELECT extract(epoch FROM next_attempt_at - updated_at) * 1000 AS wait_ms FROM messages WHERE id = $1`,
          [id],
        );
        waits.push(Number(wait_ms));
        await makeDueNow(id);
      }
      // Equal jitter: retry n waits within [base·2^(n-1)/2, base·2^(n-1)].
      waits.forEach((wait, i) => {
        expect(wait).toBeGreaterThanOrEqual((60_000 * 2 ** i) / 2);
        expect(wait).toBeLessThanOrEqual(60_000 * 2 ** i);
      });
    });

    it('never lets a failing message hold up the others in its batch', async () => {
      const doomed = aRecipient.telegram();
      t.messengers.telegram.script = (message) => {
        if (message.recipient === doomed.recipient) throw new Error('boom');
        return succeed(message, 0);
      };
      const ids = await postMessageIds(t, {
        recipients: [doomed, aRecipient.telegram(), aRecipient.telegram(), aRecipient.whatsapp()],
      });

      await t.dispatch.dispatchDue();

      const statuses = await Promise.all(ids.map(async (id) => (await messageRow(t, id)).status));
      expect(statuses).toEqual(['pending', 'sent', 'sent', 'sent']);
    });
  });

  describe('claims and leases', () => {
    it('gives concurrent claimers disjoint rows that together cover the queue', async () => {
      await postMessageIds(t, { recipients: Array.from({ length: 1000 }, () => aRecipient.viber()) });
      const other = await createTestApp({ database: t.database });
      try {
        const claimers = [t, other, t, other].map(async (app) => {
          const ids: string[] = [];
          for (;;) {
            const batch = await app.dispatchRepository.claimDue('viber', 37, 60);
            if (batch.length === 0) return ids;
            ids.push(...batch.map((c) => c.message.id));
          }
        });

        const claimed = (await Promise.all(claimers)).flat();

        expect(claimed).toHaveLength(1000);
        expect(new Set(claimed).size).toBe(1000);
      } finally {
        await other.close();
      }
    });

    it('has two workers draining one queue send every message exactly once', async () => {
      const recipients = Array.from({ length: 300 }, () => aRecipient.whatsapp());
      const ids = await postMessageIds(t, { recipients });
      const other = await createTestApp({ database: t.database });
      // Each worker's sends wait until the other has claimed some too, so that both take part however fast
      // the machine lets one of them drain (a batch is 100 rows, so the second always finds some left).
      let bothSending!: () => void;
      const barrier = new Promise<void>((resolve) => (bothSending = resolve));
      const sending = new Set<string>();
      const meetThenSucceed =
        (worker: string): Script =>
        async (message, call) => {
          sending.add(worker);
          if (sending.size === 2) bothSending();
          await barrier;
          return succeed(message, call);
        };
      t.messengers.whatsapp.script = meetThenSucceed('t');
      other.messengers.whatsapp.script = meetThenSucceed('other');
      try {
        await Promise.all([t.dispatch.dispatchDue(), other.dispatch.dispatchDue(), t.dispatch.dispatchDue()]);

        const calls = [...t.messengers.whatsapp.calls, ...other.messengers.whatsapp.calls].map((c) => c.id);
        expect(calls.sort()).toEqual([...ids].sort());
        expect(t.messengers.whatsapp.calls.length).toBeGreaterThan(0);
        expect(other.messengers.whatsapp.calls.length).toBeGreaterThan(0);
      } finally {
        await other.close();
      }
    });

    it('leaves a row claimed by a live worker alone until its lease expires, then claims it again', async () => {
      const [id] = await postMessageIds(t);
      // A worker claims the row and dies without recording an outcome.
      const [claimed] = await t.dispatchRepository.claimDue('telegram', 10, 60);
      expect(claimed.message.id).toBe(id);

      expect(await t.dispatch.dispatchDue()).toMatchObject({ claimed: 0 });

      await t.sql(
        `UPDATE messages SET locked_until = now() - interval '1 second', next_attempt_at = now() - interval '1 second'`,
      );
      await t.dispatch.dispatchDue();

      // The lost attempt counts as a retry.
      expect(await messageRow(t, id)).toMatchObject({
        status: 'sent',
        attempts: 2,
        retries_count: 1,
        locked_until: null,
      });
      expect(t.messengers.telegram.callsFor(id)).toHaveLength(1);
    });

    it('fails a message whose leases keep expiring once its retries are spent, without another attempt', async () => {
      const [id] = await postMessageIds(t);
      await t.sql(
        `UPDATE messages SET status = 'sending', attempts = $2, retries_count = $3, locked_until = now() - interval '1 second',
                next_attempt_at = now() - interval '1 second' WHERE id = $1`,
        [id, 1 + MAX_RETRIES, MAX_RETRIES],
      );

      await t.dispatch.dispatchDue();

      const failed = await messageRow(t, id);
      expect(failed).toMatchObject({ status: 'failed', retries_count: MAX_RETRIES });
      expect(failed.last_error).toMatch(/lease expired/);
      expect(t.messengers.telegram.calls).toHaveLength(0);
    });

    it('drops the outcome of a worker whose lease expired and whose row was claimed again', async () => {
      const [id] = await postMessageIds(t);
      const [stale] = await t.dispatchRepository.claimDue('telegram', 10, 60);
      await t.sql(
        `UPDATE messages SET locked_until = now() - interval '1 second', next_attempt_at = now() - interval '1 second'`,
      );
      const [fresh] = await t.dispatchRepository.claimDue('telegram', 10, 60);
      expect(fresh.leaseExpired).toBe(true);

      const written = await t.dispatchRepository.recordOutcomes(
        [
          {
            id,
            attempt: stale.message.attempts,
            status: 'failed',
            retriesCount: 0,
            code: '400',
            description: 'late answer',
          },
        ],
        [],
      );

      expect(written).toBe(0);
      expect(await messageRow(t, id)).toMatchObject({ status: 'sending', attempts: 2, last_error: null });
    });
  });
});
