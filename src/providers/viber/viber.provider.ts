import { Inject, Injectable } from '@nestjs/common';
import type { MessengerProvider, OutgoingMessage, SendResult } from '../messenger-provider';
import { ViberResponse, ViberSendMessageRequest, viberOutcome, viberSendMessageRequest } from './viber-rest-api';

/** Viber's REST bot API `send_message` as the provider uses it; an HTTP client in production. */
export interface ViberRestApi {
  /** `idempotencyKey`: our message id (also sent as tracking_data). */
  sendMessage(request: ViberSendMessageRequest, idempotencyKey?: string): Promise<ViberResponse>;
}
export const VIBER_REST_API = Symbol('VIBER_REST_API');

/** The name our messages show as their author on Viber. */
const SENDER_NAME = 'Notifications';

/** Delivers through Viber's REST bot API. */
@Injectable()
export class ViberProvider implements MessengerProvider {
  readonly name = 'viber' as const;

  constructor(@Inject(VIBER_REST_API) private readonly api: ViberRestApi) {}

  async send(message: OutgoingMessage): Promise<SendResult> {
    return viberOutcome(await this.api.sendMessage(viberSendMessageRequest(message, SENDER_NAME), message.id));
  }
}
