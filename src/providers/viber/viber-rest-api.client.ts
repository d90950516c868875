import { HttpTransport } from '../live/http-transport';
import type { LiveClientOptions } from '../live/live-client-options';
import { answerOf } from '../live/unanswered-call';
import type { SenderAccountOf } from '../senders/sender-accounts';
import type { ViberResponse, ViberSendMessageRequest } from './viber-rest-api';
import type { ViberRestApi } from './viber.provider';

/**
 * Viber's REST bot API over HTTP for one bot: `POST {base_url}/pa/send_message` with X-Viber-Auth-Token, through
 * a keep-alive pool of its own. Messages go out under the account's sender_name. Viber's message_token is a
 * 64-bit number: the transport reads it as its digits (parseJsonExact), never rounded.
 */
export class ViberRestApiClient implements ViberRestApi {
  private readonly transport: HttpTransport;
  private readonly senderName: string;

  constructor(account: SenderAccountOf<'viber'>, options: LiveClientOptions) {
    const { token, sender_name } = account.credentials;
    this.senderName = sender_name;
    this.transport = new HttpTransport({
      baseUrl: account.baseUrl,
      headers: { 'x-viber-auth-token': token },
      secrets: [token],
      ...options,
    });
  }

  /** `idempotencyKey`: our message id, sent as Idempotency-Key (Viber ignores it; the emulator server honours it). */
  async sendMessage(request: ViberSendMessageRequest, idempotencyKey = ''): Promise<ViberResponse> {
    const sent = { ...request, sender: { ...request.sender, name: this.senderName } };
    const { body } = answerOf(await this.transport.post('pa/send_message', sent, idempotencyKey));
    // A token short enough to be a safe integer arrives as a number: its digits are the same.
    const token: unknown = (body as { message_token?: unknown } | null)?.message_token;
    if (typeof token === 'number' && Number.isSafeInteger(token)) {
      return { ...(body as ViberResponse), message_token: String(token) };
    }
    return body as ViberResponse;
  }

  close(): Promise<void> {
    return this.transport.close();
  }
}
