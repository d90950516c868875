import { Injectable } from '@nestjs/common';
import { MessengerEmulator } from './messenger.emulator';

/** WhatsApp Cloud API messages: accepted messages get a "wamid." id. */
@Injectable()
export class WhatsAppEmulator extends MessengerEmulator {
  readonly name = 'whatsapp' as const;

  protected newMessageId(): string {
    const bytes = Buffer.alloc(24);
    for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(this.random() * 256);
    return `wamid.${bytes.toString('base64url')}`;
  }

  protected transientError(): string {
    return 'whatsapp 131000: Something went wrong';
  }
}
