import type { AppConfig } from '../config/app-config';
import { MESSENGER_RULES, type MessengerName } from '../providers/messengers';
import type { PacingRule } from './pacer';

/** How fast the dispatcher sends to this messenger: DISPATCH_PACING, DISPATCH_RATE_<MESSENGER>, its limits. */
export function pacingRuleFor(config: AppConfig, messenger: MessengerName): PacingRule {
  if (config.DISPATCH_PACING === 'off') return { perSecond: 0, perRecipientIntervalMs: 0 };
  const { limits } = MESSENGER_RULES[messenger];
  return {
    // A little under the limit: our clock and the messenger's never agree exactly.
    perSecond: config.dispatchRate(messenger) ?? (0.95 * limits.count * 1000) / limits.windowMs,
    perRecipientIntervalMs: limits.perRecipientIntervalMs,
  };
}
