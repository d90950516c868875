import type { MessengerWiring } from '../messenger-wiring';
import { ViberRestApiEmulator } from './viber-rest-api.emulator';
import { ViberRestApiServer } from './viber-rest-api.server';
import { VIBER_REST_API, ViberProvider } from './viber.provider';

/** Viber in ProvidersModule: the REST bot API behind its token, and the provider that speaks it. */
export const VIBER_WIRING: MessengerWiring = {
  providers: [{ provide: VIBER_REST_API, useClass: ViberRestApiEmulator }, ViberProvider],
  messengerProvider: ViberProvider,
  emulatorServer: { emulator: ViberRestApiEmulator, controller: ViberRestApiServer },
};
