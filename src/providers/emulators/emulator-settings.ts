import type { AppConfig } from '../../config/app-config';
import type { MessengerName } from '../messengers';
import { emulatorProfile, type EmulatorProfile } from './emulator-profile';

/** How this messenger's emulator behaves: the EMULATOR_* settings, then its EMULATOR_<MESSENGER> overrides. */
export function emulatorProfileFor(config: AppConfig, messenger: MessengerName): EmulatorProfile {
  const defaults = {
    failureRate: config.EMULATOR_FAILURE_RATE,
    rateLimitedRate: config.EMULATOR_RATE_LIMITED_RATE,
    permanentRate: config.EMULATOR_PERMANENT_RATE,
    lostAnswerRate: config.EMULATOR_LOST_ANSWER_RATE,
    latencyMs: config.EMULATOR_LATENCY_MS,
  };
  return emulatorProfile(messenger, defaults, config.emulatorOverrides(messenger));
}
