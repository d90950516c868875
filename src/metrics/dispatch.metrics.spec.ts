import { Registry } from 'prom-client';
import { DispatchMetrics } from './dispatch.metrics';
import { routeLabel } from './http.metrics';

describe('DispatchMetrics', () => {
  let registry: Registry;
  let metrics: DispatchMetrics;
  beforeEach(() => {
    registry = new Registry();
    metrics = new DispatchMetrics(registry);
  });

  /** The value of the one sample named so, with these labels, in the text Prometheus would scrape. */
  const value = async (sample: string, labels: Record<string, string> = {}) => {
    const lines = (await registry.metrics())
      .split('\n')
      .filter((line) => line.startsWith(`${sample}{`) || line.startsWith(`${sample} `))
      .filter((line) => Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`)));
    if (lines.length !== 1) throw new Error(`${sample} ${JSON.stringify(labels)}: ${lines.length} samples`);
    return Number(lines[0].split(' ').pop());
  };

  it('starts every series at 0, so that rates work from the first scrape', async () => {
    for (const provider of ['telegram', 'whatsapp', 'viber']) {
      expect(await value('dispatch_messages_accepted_total', { provider })).toBe(0);
      expect(await value('dispatch_messages_failed_total', { provider })).toBe(0);
    }
  });

  it('counts accepted entries, not duplicates', async () => {
    metrics.accepted([
      { provider: 'telegram', duplicate: false },
      { provider: 'telegram', duplicate: true },
      { provider: 'viber', duplicate: false },
    ]);
    expect(await value('dispatch_messages_accepted_total', { provider: 'telegram' })).toBe(1);
    expect(await value('dispatch_messages_accepted_total', { provider: 'viber' })).toBe(1);
  });

  it.each([
    ['sent', 'dispatch_messages_sent_total'],
    ['retry', 'dispatch_messages_retried_total'],
    ['rate_limited', 'dispatch_messages_rate_limited_total'],
    ['failed', 'dispatch_messages_failed_total'],
  ] as const)('counts an attempt ending %s in %s and times it, in seconds', async (outcome, counter) => {
    metrics.attempt('whatsapp', outcome, 250);
    expect(await value(counter, { provider: 'whatsapp' })).toBe(1);
    expect(await value('dispatch_attempt_duration_seconds_bucket', { provider: 'whatsapp', outcome, le: '0.25' })).toBe(
      1,
    );
    expect(await value('dispatch_attempt_duration_seconds_bucket', { provider: 'whatsapp', outcome, le: '0.1' })).toBe(
      0,
    );
  });

  it('counts a message given up without a send, but has no latency to record for it', async () => {
    metrics.attempt('viber', 'failed', undefined);
    expect(await value('dispatch_messages_failed_total', { provider: 'viber' })).toBe(1);
    expect(await registry.metrics()).not.toMatch(
      /^dispatch_attempt_duration_seconds_count\{provider="viber",outcome="failed"\} [1-9]/m,
    );
  });

  it('ignores lost attempts (they are recorded when the message is claimed again)', async () => {
    metrics.attempt('telegram', 'lost', undefined);
    const text = await registry.metrics();
    expect(text).not.toMatch(/^dispatch_messages_\w+_total\{provider="telegram"\} [1-9]/m);
  });

  it('remembers when the scheduler last ticked, and what a tick claimed', async () => {
    expect(metrics.lastTickAt).toBeUndefined();
    expect(await value('dispatch_last_tick_timestamp_seconds')).toBe(0);
    metrics.tickStarted(1_795_855_789_001);
    metrics.tickFinished(7);
    expect(metrics.lastTickAt).toEqual(new Date(1_795_855_789_001));
    expect(await value('dispatch_last_tick_timestamp_seconds')).toBe(1_795_855_789.001);
    expect(await value('dispatch_tick_claimed_messages_bucket', { le: '10' })).toBe(1);
    expect(await value('dispatch_tick_claimed_messages_bucket', { le: '5' })).toBe(0);
  });
});

describe('routeLabel', () => {
  it("is the route's pattern, or 'unmatched' for a request no route took", () => {
    expect(routeLabel({ routeOptions: { url: '/messages/:id' } } as never)).toBe('/messages/:id');
    expect(routeLabel({ routeOptions: {} } as never)).toBe('unmatched');
  });
});
