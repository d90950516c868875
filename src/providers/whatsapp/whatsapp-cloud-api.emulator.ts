import { Injectable, Optional } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { EmulatedMessenger } from '../emulators/emulated-messenger';
import { EmulatorInbox } from '../emulators/emulator-inbox';
import { emulatorProfileFor } from '../emulators/emulator-settings';
import { seededRandom, seedFor } from '../emulators/random';
import { characterCount } from '../character-count';
import { WHATSAPP_ERRORS, whatsAppErrorResponse, WhatsAppResponse, WhatsAppSendRequest } from './whatsapp-cloud-api';
import type { WhatsAppCloudApi } from './whatsapp.provider';
import { WHATSAPP_TEST_RECIPIENTS, whatsapp, type WhatsAppRefusal as Reason } from './whatsapp.definition';

export { WHATSAPP_TEST_RECIPIENTS };

/** The WhatsApp Cloud API, emulated: its answers, its throughput (80/s) and pair rate limits, its test numbers. */
@Injectable()
export class WhatsAppCloudApiEmulator implements WhatsAppCloudApi {
  private readonly messenger: EmulatedMessenger<Reason>;
  private readonly ids: () => number;

  constructor(
    config: AppConfig,
    @Optional() private readonly inbox?: EmulatorInbox,
  ) {
    const seed = seedFor(config.EMULATOR_SEED, 'whatsapp');
    this.messenger = new EmulatedMessenger(emulatorProfileFor(config, whatsapp.name), seed, WHATSAPP_TEST_RECIPIENTS, [
      'undeliverable',
      'reEngagement',
    ]);
    this.ids = seededRandom(seed ^ 0x5a5a5a5a);
  }

  async sendMessage(
    request: WhatsAppSendRequest,
    idempotencyKey?: string,
  ): Promise<{ httpStatus: number; body: WhatsAppResponse }> {
    if (characterCount(request.text.body) > whatsapp.maxBodyLength) return this.error('parameterValueInvalid');
    const send = { recipient: `+${request.to}`, body: request.text.body, idempotencyKey };
    const verdict = await this.messenger.deliver('whatsapp', send, () => `wamid.${this.token(36)}`, this.inbox);
    switch (verdict.kind) {
      case 'accepted':
        return {
          httpStatus: 200,
          body: {
            messaging_product: 'whatsapp',
            contacts: [{ input: request.to, wa_id: request.to }],
            messages: [{ id: verdict.providerMessageId }],
          },
        };
      case 'transient':
        return this.error('somethingWentWrong');
      case 'throttled':
        return this.error(verdict.scope === 'recipient' ? 'pairRateLimit' : 'throughputLimit');
      case 'permanent':
        return this.error(verdict.reason);
      case 'timeout':
        throw new Error('unreachable: a timeout is never answered');
    }
  }

  private error(name: keyof typeof WHATSAPP_ERRORS) {
    const entry = WHATSAPP_ERRORS[name];
    return { httpStatus: entry.httpStatus, body: whatsAppErrorResponse(entry, this.token(27)) };
  }

  private token(length: number): string {
    const bytes = Buffer.alloc(Math.ceil((length * 3) / 4));
    for (let i = 0; i < bytes.length; i++) bytes[i] = Math.floor(this.ids() * 256);
    return bytes.toString('base64url').slice(0, length);
  }
}
