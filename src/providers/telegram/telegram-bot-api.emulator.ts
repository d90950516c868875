import { Injectable, Optional } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { EmulatedMessenger } from '../emulators/emulated-messenger';
import { EmulatorInbox } from '../emulators/emulator-inbox';
import { emulatorProfileFor } from '../emulators/emulator-settings';
import { seedFor } from '../emulators/random';
import { characterCount } from '../character-count';
import { TELEGRAM_ERRORS, TelegramResponse, TelegramSendMessageRequest } from './telegram-bot-api';
import type { TelegramBotApi } from './telegram.provider';
import { TELEGRAM_TEST_RECIPIENTS, telegram, type TelegramRefusal as Reason } from './telegram.definition';

export { TELEGRAM_TEST_RECIPIENTS };

/** Telegram's Bot API, emulated: its answers, its flood control (30/s overall, 1/s per chat), its test chats. */
@Injectable()
export class TelegramBotApiEmulator implements TelegramBotApi {
  private readonly messenger: EmulatedMessenger<Reason>;
  private lastMessageId = 0;

  constructor(
    config: AppConfig,
    @Optional() private readonly inbox?: EmulatorInbox,
  ) {
    this.messenger = new EmulatedMessenger(
      emulatorProfileFor(config, telegram.name),
      seedFor(config.EMULATOR_SEED, 'telegram'),
      TELEGRAM_TEST_RECIPIENTS,
      ['chatNotFound', 'blockedByUser', 'userDeactivated'],
    );
  }

  async sendMessage(request: TelegramSendMessageRequest, idempotencyKey?: string): Promise<TelegramResponse> {
    const chat = String(request.chat_id);
    if (characterCount(request.text) > telegram.maxBodyLength) return TELEGRAM_ERRORS.messageTooLong.response;
    const send = { recipient: chat, body: request.text, idempotencyKey };
    const verdict = await this.messenger.deliver('telegram', send, () => String(++this.lastMessageId), this.inbox);
    switch (verdict.kind) {
      case 'accepted':
        return {
          ok: true,
          result: {
            message_id: Number(verdict.providerMessageId),
            date: Math.floor(Date.now() / 1000),
            chat: { id: request.chat_id, type: 'private' },
            text: request.text,
          },
        };
      case 'transient':
        return TELEGRAM_ERRORS.badGateway.response;
      case 'throttled':
        return TELEGRAM_ERRORS.tooManyRequests(Math.max(1, Math.ceil(verdict.retryAfterMs / 1000))).response;
      case 'permanent':
        return TELEGRAM_ERRORS[verdict.reason].response;
      case 'timeout':
        throw new Error('unreachable: a timeout is never answered');
    }
  }
}
