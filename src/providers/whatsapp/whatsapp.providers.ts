import type { MessengerWiring } from '../messenger-wiring';
import type { SenderAccountOf } from '../senders/sender-accounts';
import { WhatsAppCloudApiClient } from './whatsapp-cloud-api.client';
import { WhatsAppCloudApiEmulator } from './whatsapp-cloud-api.emulator';
import { WhatsAppCloudApiServer } from './whatsapp-cloud-api.server';
import { WHATSAPP_CLOUD_API, WhatsAppProvider } from './whatsapp.provider';

/** WhatsApp in ProvidersModule: the Cloud API behind its token, and the provider that speaks it; a sender account's live client. */
export const WHATSAPP_WIRING: MessengerWiring = {
  name: 'whatsapp',
  providers: [{ provide: WHATSAPP_CLOUD_API, useClass: WhatsAppCloudApiEmulator }, WhatsAppProvider],
  messengerProvider: WhatsAppProvider,
  emulatorServer: { emulator: WhatsAppCloudApiEmulator, controller: WhatsAppCloudApiServer },
  live: (account, options) => {
    const api = new WhatsAppCloudApiClient(account as SenderAccountOf<'whatsapp'>, options);
    return { provider: new WhatsAppProvider(api), close: () => api.close() };
  },
};
