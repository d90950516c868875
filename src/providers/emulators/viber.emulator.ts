import { Injectable } from '@nestjs/common';
import { MessengerEmulator } from './messenger.emulator';

/** Viber REST send_message: accepted messages get a numeric (64-bit) message_token. */
@Injectable()
export class ViberEmulator extends MessengerEmulator {
  readonly name = 'viber' as const;

  protected newMessageId(): string {
    // 19 digits, and below 2^63: Viber's tokens fit a signed 64-bit integer.
    const high = 2 ** 28 + Math.floor(this.random() * (2 ** 31 - 2 ** 28));
    const low = Math.floor(this.random() * 2 ** 32);
    return (BigInt(high) * 2n ** 32n + BigInt(low)).toString();
  }

  protected transientError(): string {
    return 'viber status 13: internal server error';
  }
}
