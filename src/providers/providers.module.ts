import { Module } from '@nestjs/common';
import { EmulatorInboxController } from './emulators/emulator-inbox.controller';
import { EmulatorInbox } from './emulators/emulator-inbox';
import { MESSENGER_PROVIDERS, type MessengerProvider } from './messenger-provider';
import { LIVE_MESSENGER_FACTORIES, type MessengerWiring } from './messenger-wiring';
import { MessengerRegistry } from './messenger.registry';
import { LiveMessengers } from './senders/live-messengers';
import { SendersModule } from './senders/senders.module';
import { TELEGRAM_WIRING } from './telegram/telegram.providers';
import { VIBER_WIRING } from './viber/viber.providers';
import { WHATSAPP_WIRING } from './whatsapp/whatsapp.providers';

/** Each messenger's Nest wiring, from its folder; the plain data about it is the list in messengers.ts. */
export const MESSENGER_WIRING: readonly MessengerWiring[] = [TELEGRAM_WIRING, WHATSAPP_WIRING, VIBER_WIRING];

const PROVIDERS = MESSENGER_WIRING.map((wiring) => wiring.messengerProvider);

/**
 * One provider per messenger, each speaking its messenger's API through a token: the built-in emulators, for
 * messages without a sender account. Those with one go through LiveMessengers, a live client per account.
 */
@Module({
  imports: [SendersModule],
  controllers: [EmulatorInboxController],
  providers: [
    EmulatorInbox,
    ...MESSENGER_WIRING.flatMap((wiring) => wiring.providers),
    {
      provide: MESSENGER_PROVIDERS,
      useFactory: (...providers: MessengerProvider[]) => providers,
      inject: PROVIDERS,
    },
    MessengerRegistry,
    {
      provide: LIVE_MESSENGER_FACTORIES,
      useValue: Object.fromEntries(MESSENGER_WIRING.map((wiring) => [wiring.name, wiring.live])),
    },
    LiveMessengers,
  ],
  exports: [MessengerRegistry, LiveMessengers],
})
export class ProvidersModule {}
