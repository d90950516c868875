import type { MessengerName } from '../providers/messengers';

/**
 * One messenger account: what a messenger's limits apply to (a bot's messages a second, a business
 * number's tier), whichever worker sends. `sender` null is the built-in emulator's default
 * account of the messenger, as on messages.
 */
export interface Lane {
  readonly provider: MessengerName;
  readonly sender: string | null;
}

/** How dispatch_lanes and dispatch_recipients spell a lane's sender: '' for the default account. */
export const laneSender = (lane: Lane): string => lane.sender ?? '';
