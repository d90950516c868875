import { Inject, Injectable } from '@nestjs/common';
import type { MessengerProvider, OutgoingMessage, SendResult } from '../messenger-provider';
import { WhatsAppResponse, WhatsAppSendRequest, whatsAppOutcome, whatsAppSendRequest } from './whatsapp-cloud-api';

/** The Cloud API's messages endpoint as the provider uses it; an HTTP client in production. */
export interface WhatsAppCloudApi {
  /** `idempotencyKey`: our message id. The real Cloud API has no such key; the emulator honours it (docs/api.md, Delivery guarantees). */
  sendMessage(
    request: WhatsAppSendRequest,
    idempotencyKey?: string,
  ): Promise<{ readonly httpStatus: number; readonly body: WhatsAppResponse }>;
}
export const WHATSAPP_CLOUD_API = Symbol('WHATSAPP_CLOUD_API');

/** Delivers through the WhatsApp Cloud API (`POST /{phone-number-id}/messages`). */
@Injectable()
export class WhatsAppProvider implements MessengerProvider {
  readonly name = 'whatsapp' as const;

  constructor(@Inject(WHATSAPP_CLOUD_API) private readonly api: WhatsAppCloudApi) {}

  async send(message: OutgoingMessage): Promise<SendResult> {
    const { httpStatus, body } = await this.api.sendMessage(whatsAppSendRequest(message), message.id);
    return whatsAppOutcome(httpStatus, body);
  }
}
