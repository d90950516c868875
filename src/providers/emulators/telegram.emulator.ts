import { Injectable } from '@nestjs/common';
import { MessengerEmulator } from './messenger.emulator';

/** Telegram Bot API sendMessage: accepted messages get an integer message_id. */
@Injectable()
export class TelegramEmulator extends MessengerEmulator {
  readonly name = 'telegram' as const;
  private lastMessageId = 0;

  protected newMessageId(): string {
    if (this.lastMessageId === 0) this.lastMessageId = Math.floor(this.random() * 1_000_000);
    return String(++this.lastMessageId);
  }

  protected transientError(): string {
    return 'telegram 502: Bad Gateway';
  }
}
