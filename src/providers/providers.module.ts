import { Module } from '@nestjs/common';
import { EmulatorInboxController } from './emulators/emulator-inbox.controller';
import { EmulatorInbox } from './emulators/emulator-inbox';
import { MESSENGER_PROVIDERS, MessengerProvider } from './messenger-provider';
import { MessengerRegistry } from './messenger.registry';
import { LiveMessengers } from './senders/live-messengers';
import { SendersModule } from './senders/senders.module';
import { TelegramBotApiEmulator } from './telegram/telegram-bot-api.emulator';
import { TELEGRAM_BOT_API, TelegramProvider } from './telegram/telegram.provider';
import { ViberRestApiEmulator } from './viber/viber-rest-api.emulator';
import { VIBER_REST_API, ViberProvider } from './viber/viber.provider';
import { WhatsAppCloudApiEmulator } from './whatsapp/whatsapp-cloud-api.emulator';
import { WHATSAPP_CLOUD_API, WhatsAppProvider } from './whatsapp/whatsapp.provider';

const PROVIDERS = [TelegramProvider, WhatsAppProvider, ViberProvider];

/**
 * One provider per messenger, each speaking its messenger's API through a token: the built-in emulators, for
 * messages without a sender account. Those with one go through LiveMessengers, a live client per account.
 */
@Module({
  imports: [SendersModule],
  controllers: [EmulatorInboxController],
  providers: [
    EmulatorInbox,
    { provide: TELEGRAM_BOT_API, useClass: TelegramBotApiEmulator },
    { provide: WHATSAPP_CLOUD_API, useClass: WhatsAppCloudApiEmulator },
    { provide: VIBER_REST_API, useClass: ViberRestApiEmulator },
    ...PROVIDERS,
    {
      provide: MESSENGER_PROVIDERS,
      useFactory: (...providers: MessengerProvider[]) => providers,
      inject: PROVIDERS,
    },
    MessengerRegistry,
    LiveMessengers,
  ],
  exports: [MessengerRegistry, LiveMessengers],
})
export class ProvidersModule {}
