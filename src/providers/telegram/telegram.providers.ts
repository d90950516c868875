import type { MessengerWiring } from '../messenger-wiring';
import { TelegramBotApiEmulator } from './telegram-bot-api.emulator';
import { TelegramBotApiServer } from './telegram-bot-api.server';
import { TELEGRAM_BOT_API, TelegramProvider } from './telegram.provider';

/** Telegram in ProvidersModule: the Bot API behind its token, and the provider that speaks it. */
export const TELEGRAM_WIRING: MessengerWiring = {
  providers: [{ provide: TELEGRAM_BOT_API, useClass: TelegramBotApiEmulator }, TelegramProvider],
  messengerProvider: TelegramProvider,
  emulatorServer: { emulator: TelegramBotApiEmulator, controller: TelegramBotApiServer },
};
