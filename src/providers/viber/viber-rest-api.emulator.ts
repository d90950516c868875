import { Injectable, Optional } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { EmulatedMessenger } from '../emulators/emulated-messenger';
import { EmulatorInbox } from '../emulators/emulator-inbox';
import { emulatorProfileFor } from '../emulators/emulator-settings';
import { seededRandom, seedFor } from '../emulators/random';
import { characterCount } from '../character-count';
import { VIBER_STATUSES, ViberResponse, ViberSendMessageRequest } from './viber-rest-api';
import type { ViberRestApi } from './viber.provider';
import { VIBER_TEST_RECIPIENTS, viber, type ViberRefusal as Reason } from './viber.definition';

export { VIBER_TEST_RECIPIENTS };

/** Viber's REST bot API, emulated: HTTP 200 with a status, its 500 requests per 10 s limit, its test ids. */
@Injectable()
export class ViberRestApiEmulator implements ViberRestApi {
  private readonly messenger: EmulatedMessenger<Reason>;
  private readonly tokens: () => number;

  constructor(
    config: AppConfig,
    @Optional() private readonly inbox?: EmulatorInbox,
  ) {
    const seed = seedFor(config.EMULATOR_SEED, 'viber');
    this.messenger = new EmulatedMessenger(emulatorProfileFor(config, viber.name), seed, VIBER_TEST_RECIPIENTS, [
      'receiverNotRegistered',
      'receiverNotSubscribed',
      'receiverNoSuitableDevice',
    ]);
    this.tokens = seededRandom(seed ^ 0x3c3c3c3c);
  }

  async sendMessage(request: ViberSendMessageRequest, idempotencyKey?: string): Promise<ViberResponse> {
    if (characterCount(request.text) > viber.maxBodyLength) return VIBER_STATUSES.badData.response;
    const send = {
      recipient: request.receiver,
      body: request.text,
      idempotencyKey: idempotencyKey ?? request.tracking_data,
    };
    const verdict = await this.messenger.deliver('viber', send, () => this.messageToken(), this.inbox);
    switch (verdict.kind) {
      case 'accepted':
        return { ...VIBER_STATUSES.ok.response, message_token: verdict.providerMessageId };
      case 'transient':
        // Viber has no status of its own for an outage: its catch-all "other: General error".
        return VIBER_STATUSES.other(99).response;
      case 'throttled':
        return VIBER_STATUSES.tooManyRequests.response;
      case 'permanent':
        return VIBER_STATUSES[verdict.reason].response;
      case 'timeout':
        throw new Error('unreachable: a timeout is never answered');
    }
  }

  /** 19 digits, below 2^63: Viber's tokens fit a signed 64-bit integer. */
  private messageToken(): string {
    const high = 2 ** 28 + Math.floor(this.tokens() * (2 ** 31 - 2 ** 28));
    const low = Math.floor(this.tokens() * 2 ** 32);
    return (BigInt(high) * 2n ** 32n + BigInt(low)).toString();
  }
}
