import { Injectable, Optional } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { EmulatedMessenger, type SendContext, TestRecipient } from '../emulators/emulated-messenger';
import { EmulatorInbox } from '../emulators/emulator-inbox';
import { seededRandom, seedFor } from '../emulators/random';
import { characterCount, MESSENGER_RULES } from '../messengers';
import { WHATSAPP_ERRORS, whatsAppErrorResponse, WhatsAppResponse, WhatsAppSendRequest } from './whatsapp-cloud-api';
import type { WhatsAppCloudApi } from './whatsapp.provider';

type Reason = 'undeliverable' | 'reEngagement';

/** Phone numbers (in the fictional +1 555 range) that always behave the same way. */
export const WHATSAPP_TEST_RECIPIENTS: readonly TestRecipient<Reason>[] = [
  {
    recipient: '+15550000200',
    verdict: { kind: 'accept' },
    answer: 'accepted',
    outcome: 'sent, never a random failure',
  },
  {
    recipient: '+15550131026',
    verdict: { kind: 'permanent', reason: 'undeliverable' },
    answer: '131026 Message Undeliverable',
    outcome: 'failed at once (code 131026)',
  },
  {
    recipient: '+15550131047',
    verdict: { kind: 'permanent', reason: 'reEngagement' },
    answer: '131047 Re-engagement message (24-hour window closed)',
    outcome: 'failed at once (code 131047)',
  },
  {
    recipient: '+15550131056',
    verdict: { kind: 'throttled', scope: 'recipient', retryAfterMs: 6000 },
    times: 2,
    answer: '131056 pair rate limit hit, twice, then accepted',
    outcome: 'sent on the 3rd attempt, retries_count 0',
  },
  {
    recipient: '+15550131000',
    verdict: { kind: 'transient' },
    times: 2,
    answer: '131000 Something went wrong, twice, then accepted',
    outcome: 'sent on the 3rd attempt, retries_count 2',
  },
  {
    recipient: '+15550000504',
    verdict: { kind: 'timeout' },
    answer: 'no answer',
    outcome: 'times out every attempt: failed with code "timeout"',
  },
];

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
    this.messenger = new EmulatedMessenger(config.emulatorProfile('whatsapp'), seed, WHATSAPP_TEST_RECIPIENTS, [
      'undeliverable',
      'reEngagement',
    ]);
    this.ids = seededRandom(seed ^ 0x5a5a5a5a);
  }

  async sendMessage(
    request: WhatsAppSendRequest,
    idempotencyKey?: string,
    context?: SendContext,
  ): Promise<{ httpStatus: number; body: WhatsAppResponse }> {
    if (characterCount(request.text.body) > MESSENGER_RULES.whatsapp.maxBodyLength)
      return this.error('parameterValueInvalid');
    const send = { recipient: `+${request.to}`, body: request.text.body, idempotencyKey };
    const verdict = await this.messenger.deliver(
      'whatsapp',
      send,
      () => `wamid.${this.token(36)}`,
      this.inbox,
      context,
    );
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
