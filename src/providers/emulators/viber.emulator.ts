import { Injectable } from '@nestjs/common';
import { MessengerEmulator } from './messenger.emulator';

/** Viber REST send_message: accepted messages get a numeric (64-bit) message_token. */
@Injectable()
export class ViberEmulator extends MessengerEmulator {
  readonly name = 'viber' as const;

  protected newMessageId(): string {
    const high = Math.floor(this.random() * 2 ** 31) + 2 ** 30;
    const low = Math.floor(this.random() * 2 ** 32);
    return (BigInt(high) * 2n ** 32n + BigInt(low)).toString();
  }

  protected transientError(): string {
    return 'viber status 13: internal server error';
  }
}
