import { HttpTransport } from '../live/http-transport';
import type { LiveClientOptions } from '../live/live-client-options';
import { answerOf } from '../live/unanswered-call';
import type { SenderAccountOf } from '../senders/sender-accounts';
import type { TelegramResponse, TelegramSendMessageRequest } from './telegram-bot-api';
import type { TelegramBotApi } from './telegram.provider';

/**
 * The Bot API over HTTP for one bot: `POST {base_url}/bot<token>/sendMessage`, through a keep-alive pool of its
 * own. The token is in the URL path, so the transport redacts it from every description. The answer's body is
 * handed on as Telegram sent it (telegramOutcome reads it; anything that is not a Bot API answer is retried).
 */
export class TelegramBotApiClient implements TelegramBotApi {
  private readonly transport: HttpTransport;
  private readonly path: string;

  constructor(account: SenderAccountOf<'telegram'>, options: LiveClientOptions) {
    const { token } = account.credentials;
    this.path = `bot${token}/sendMessage`;
    this.transport = new HttpTransport({ baseUrl: account.baseUrl, secrets: [token], ...options });
  }

  /** `idempotencyKey`: our message id, sent as Idempotency-Key (Telegram ignores it; the emulator server honours it). */
  async sendMessage(request: TelegramSendMessageRequest, idempotencyKey = ''): Promise<TelegramResponse> {
    const { body } = answerOf(await this.transport.post(this.path, request, idempotencyKey));
    return body as TelegramResponse;
  }

  close(): Promise<void> {
    return this.transport.close();
  }
}
