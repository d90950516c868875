import { Module } from '@nestjs/common';
import { MESSENGER_PROVIDERS, MessengerProvider } from './messenger-provider';
import { MessengerRegistry } from './messenger.registry';
import { TelegramEmulator } from './emulators/telegram.emulator';
import { ViberEmulator } from './emulators/viber.emulator';
import { WhatsAppEmulator } from './emulators/whatsapp.emulator';

const EMULATORS = [TelegramEmulator, WhatsAppEmulator, ViberEmulator];

/** The messengers, emulated. A real client per messenger would register under the same token. */
@Module({
  providers: [
    ...EMULATORS,
    {
      provide: MESSENGER_PROVIDERS,
      useFactory: (...providers: MessengerProvider[]) => providers,
      inject: EMULATORS,
    },
    MessengerRegistry,
  ],
  exports: [MessengerRegistry],
})
export class ProvidersModule {}
