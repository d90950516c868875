import { HttpTransport } from '../live/http-transport';
import type { LiveClientOptions } from '../live/live-client-options';
import { answerOf } from '../live/unanswered-call';
import type { SenderAccountOf } from '../senders/sender-accounts';
import type { WhatsAppResponse, WhatsAppSendRequest } from './whatsapp-cloud-api';
import type { WhatsAppCloudApi } from './whatsapp.provider';

/**
 * The Cloud API over HTTP for one business number: `POST {base_url}/{phone-number-id}/messages` with the access
 * token as a Bearer token, through a keep-alive pool of its own. base_url carries the Graph version
 * (https://graph.facebook.com/v26.0 by default).
 */
export class WhatsAppCloudApiClient implements WhatsAppCloudApi {
  private readonly transport: HttpTransport;
  private readonly path: string;

  constructor(account: SenderAccountOf<'whatsapp'>, options: LiveClientOptions) {
    const { token, phone_number_id } = account.credentials;
    this.path = `${phone_number_id}/messages`;
    this.transport = new HttpTransport({
      baseUrl: account.baseUrl,
      headers: { authorization: `Bearer ${token}` },
      secrets: [token],
      ...options,
    });
  }

  /** `idempotencyKey`: our message id, sent as Idempotency-Key (Meta ignores it; the emulator server honours it). */
  async sendMessage(
    request: WhatsAppSendRequest,
    idempotencyKey = '',
  ): Promise<{ readonly httpStatus: number; readonly body: WhatsAppResponse }> {
    const { httpStatus, body } = answerOf(await this.transport.post(this.path, request, idempotencyKey));
    return { httpStatus, body: body as WhatsAppResponse };
  }

  close(): Promise<void> {
    return this.transport.close();
  }
}
