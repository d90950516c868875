import type { MessengerWiring } from '../messenger-wiring';
import type { SenderAccountOf } from '../senders/sender-accounts';
import { TelegramBotApiClient } from './telegram-bot-api.client';
import { TelegramBotApiEmulator } from './telegram-bot-api.emulator';
import { TelegramBotApiServer } from './telegram-bot-api.server';
import { TELEGRAM_BOT_API, TelegramProvider } from './telegram.provider';

/** Telegram in ProvidersModule: the Bot API behind its token, and the provider that speaks it; a sender account's live client. */
export const TELEGRAM_WIRING: MessengerWiring = {
  name: 'telegram',
  providers: [{ provide: TELEGRAM_BOT_API, useClass: TelegramBotApiEmulator }, TelegramProvider],
  messengerProvider: TelegramProvider,
  emulatorServer: { emulator: TelegramBotApiEmulator, controller: TelegramBotApiServer },
  live: (account, options) => {
    const api = new TelegramBotApiClient(account as SenderAccountOf<'telegram'>, options);
    return { provider: new TelegramProvider(api), close: () => api.close() };
  },
};
