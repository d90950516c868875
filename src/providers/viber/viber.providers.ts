import type { MessengerWiring } from '../messenger-wiring';
import type { SenderAccountOf } from '../senders/sender-accounts';
import { ViberRestApiClient } from './viber-rest-api.client';
import { ViberRestApiEmulator } from './viber-rest-api.emulator';
import { ViberRestApiServer } from './viber-rest-api.server';
import { VIBER_REST_API, ViberProvider } from './viber.provider';

/** Viber in ProvidersModule: the REST bot API behind its token, and the provider that speaks it; a sender account's live client. */
export const VIBER_WIRING: MessengerWiring = {
  name: 'viber',
  providers: [{ provide: VIBER_REST_API, useClass: ViberRestApiEmulator }, ViberProvider],
  messengerProvider: ViberProvider,
  emulatorServer: { emulator: ViberRestApiEmulator, controller: ViberRestApiServer },
  live: (account, options) => {
    const api = new ViberRestApiClient(account as SenderAccountOf<'viber'>, options);
    return { provider: new ViberProvider(api), close: () => api.close() };
  },
};
