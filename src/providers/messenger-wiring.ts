import type { Provider, Type } from '@nestjs/common';
import type { LiveClientOptions } from './live/live-client-options';
import type { MessengerProvider } from './messenger-provider';
import type { MessengerName } from './messengers';
import type { SenderAccount } from './senders/sender-accounts';

/** One sender account's provider: the messenger's provider over a live client of the account's own. */
export interface LiveMessenger {
  readonly provider: MessengerProvider;
  /** Closes the account's connections, once its calls under way are done. */
  close(): Promise<void>;
}

/**
 * A messenger's part of ProvidersModule: the Nest providers behind its API token (the built-in emulator), the
 * class that delivers to it, registered under MESSENGER_PROVIDERS, and how a sender account of it (SENDERS_FILE)
 * gets a live client over HTTP. And its part of the emulator server (APP_ROLE=emulators): its emulator, and the
 * controller that serves the emulator over HTTP at the messenger's real path.
 */
export interface MessengerWiring {
  readonly name: MessengerName;
  readonly providers: readonly Provider[];
  readonly messengerProvider: Type<MessengerProvider>;
  readonly emulatorServer: { readonly emulator: Type; readonly controller: Type };
  /** Called with an account of this messenger only (LiveMessengers picks the wiring by account.provider). */
  readonly live: (account: SenderAccount, options: LiveClientOptions) => LiveMessenger;
}

/** Injection token of each messenger's `live` factory, by messenger name: what LiveMessengers builds clients with. */
export const LIVE_MESSENGER_FACTORIES = Symbol('LIVE_MESSENGER_FACTORIES');
export type LiveMessengerFactories = Readonly<Record<MessengerName, MessengerWiring['live']>>;
