import type { MessengerWiring } from '../messenger-wiring';
import { WhatsAppCloudApiEmulator } from './whatsapp-cloud-api.emulator';
import { WhatsAppCloudApiServer } from './whatsapp-cloud-api.server';
import { WHATSAPP_CLOUD_API, WhatsAppProvider } from './whatsapp.provider';

/** WhatsApp in ProvidersModule: the Cloud API behind its token, and the provider that speaks it. */
export const WHATSAPP_WIRING: MessengerWiring = {
  providers: [{ provide: WHATSAPP_CLOUD_API, useClass: WhatsAppCloudApiEmulator }, WhatsAppProvider],
  messengerProvider: WhatsAppProvider,
  emulatorServer: { emulator: WhatsAppCloudApiEmulator, controller: WhatsAppCloudApiServer },
};
