import { Inject, Injectable } from '@nestjs/common';
import type { MessengerProvider, OutgoingMessage, SendResult } from '../messenger-provider';
import {
  TelegramResponse,
  TelegramSendMessageRequest,
  telegramOutcome,
  telegramSendMessageRequest,
} from './telegram-bot-api';

/** The Bot API as the provider uses it: the emulator in this service, an HTTP client against Telegram in production. */
export interface TelegramBotApi {
  /** `idempotencyKey`: our message id. The real Bot API has no such key; the emulator honours it (docs/api.md, Delivery guarantees). */
  sendMessage(request: TelegramSendMessageRequest, idempotencyKey?: string): Promise<TelegramResponse>;
}
export const TELEGRAM_BOT_API = Symbol('TELEGRAM_BOT_API');

/** Delivers through Telegram's Bot API `sendMessage`. */
@Injectable()
export class TelegramProvider implements MessengerProvider {
  readonly name = 'telegram' as const;

  constructor(@Inject(TELEGRAM_BOT_API) private readonly api: TelegramBotApi) {}

  async send(message: OutgoingMessage): Promise<SendResult> {
    return telegramOutcome(await this.api.sendMessage(telegramSendMessageRequest(message), message.id));
  }
}
