import type { Provider, Type } from '@nestjs/common';
import type { MessengerProvider } from './messenger-provider';

/**
 * A messenger's part of ProvidersModule: the Nest providers behind its API token (the emulator, until a
 * live client is bound there) and the class that delivers to it, registered under MESSENGER_PROVIDERS.
 * And its part of the emulator server (APP_ROLE=emulators): its emulator, and the controller that serves
 * the emulator over HTTP at the messenger's real path.
 */
export interface MessengerWiring {
  readonly providers: readonly Provider[];
  readonly messengerProvider: Type<MessengerProvider>;
  readonly emulatorServer: { readonly emulator: Type; readonly controller: Type };
}
