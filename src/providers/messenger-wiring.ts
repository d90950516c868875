import type { Provider, Type } from '@nestjs/common';
import type { MessengerProvider } from './messenger-provider';

/**
 * A messenger's part of ProvidersModule: the Nest providers behind its API token (the emulator, until a
 * live client is bound there) and the class that delivers to it, registered under MESSENGER_PROVIDERS.
 */
export interface MessengerWiring {
  readonly providers: readonly Provider[];
  readonly messengerProvider: Type<MessengerProvider>;
}
