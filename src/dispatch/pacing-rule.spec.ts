import { loadConfig } from '../config/app-config';
import { MESSENGERS } from '../providers/messengers';
import { pacingRuleFor } from './pacing-rule';

describe('pacingRuleFor', () => {
  it.each(MESSENGERS.map((m) => [m.name, m.limits] as const))(
    '%s: 95%% of its documented rate, and its per-recipient interval, by default',
    (name, limits) => {
      expect(pacingRuleFor(loadConfig({}), name)).toEqual({
        perSecond: (0.95 * limits.count * 1000) / limits.windowMs,
        perRecipientIntervalMs: limits.perRecipientIntervalMs,
      });
    },
  );

  it('takes DISPATCH_RATE_<MESSENGER> over the documented rate, for that messenger only', () => {
    const [first, second] = MESSENGERS;
    const config = loadConfig({ [`DISPATCH_RATE_${first.name.toUpperCase()}`]: '7' });
    expect(pacingRuleFor(config, first.name).perSecond).toBe(7);
    expect(pacingRuleFor(config, second.name).perSecond).toBe(
      (0.95 * second.limits.count * 1000) / second.limits.windowMs,
    );
  });

  it('paces nothing with DISPATCH_PACING=off', () => {
    const config = loadConfig({ DISPATCH_PACING: 'off', [`DISPATCH_RATE_${MESSENGERS[0].name.toUpperCase()}`]: '7' });
    for (const { name } of MESSENGERS)
      expect(pacingRuleFor(config, name)).toEqual({ perSecond: 0, perRecipientIntervalMs: 0 });
  });
});
