import { Injectable, Optional } from '@nestjs/common';
import { AppConfig } from '../../config/app-config';
import { EmulatedMessenger, type SendContext, TestRecipient } from '../emulators/emulated-messenger';
import { EmulatorInbox } from '../emulators/emulator-inbox';
import { seedFor } from '../emulators/random';
import { characterCount, MESSENGER_RULES } from '../messengers';
import { TELEGRAM_ERRORS, TelegramResponse, TelegramSendMessageRequest } from './telegram-bot-api';
import type { TelegramBotApi } from './telegram.provider';

type Reason = 'chatNotFound' | 'blockedByUser' | 'userDeactivated' | 'messageTooLong';

/** Chat ids that always behave the same way, so client teams can test their handling of each case. */
export const TELEGRAM_TEST_RECIPIENTS: readonly TestRecipient<Reason>[] = [
  { recipient: '1000000200', verdict: { kind: 'accept' }, answer: 'ok', outcome: 'sent, never a random failure' },
  {
    recipient: '1000000403',
    verdict: { kind: 'permanent', reason: 'blockedByUser' },
    answer: '403 Forbidden: bot was blocked by the user',
    outcome: 'failed at once (code 403)',
  },
  {
    recipient: '1000000404',
    verdict: { kind: 'permanent', reason: 'chatNotFound' },
    answer: '400 Bad Request: chat not found',
    outcome: 'failed at once (code 400)',
  },
  {
    recipient: '1000000410',
    verdict: { kind: 'permanent', reason: 'userDeactivated' },
    answer: '403 Forbidden: user is deactivated',
    outcome: 'failed at once (code 403)',
  },
  {
    recipient: '1000000429',
    verdict: { kind: 'throttled', scope: 'recipient', retryAfterMs: 1000 },
    times: 2,
    answer: '429 Too Many Requests: retry after 1, twice, then ok',
    outcome: 'sent on the 3rd attempt, retries_count 0 (rate limits cost no retry)',
  },
  {
    recipient: '1000000502',
    verdict: { kind: 'transient' },
    times: 2,
    answer: '502 Bad Gateway, twice, then ok',
    outcome: 'sent on the 3rd attempt, retries_count 2',
  },
  {
    recipient: '1000000504',
    verdict: { kind: 'timeout' },
    answer: 'no answer',
    outcome: 'times out every attempt: failed with code "timeout" after 1 + MAX_RETRIES attempts',
  },
];

/** Telegram's Bot API, emulated: its answers, its flood control (30/s overall, 1/s per chat), its test chats. */
@Injectable()
export class TelegramBotApiEmulator implements TelegramBotApi {
  private readonly messenger: EmulatedMessenger<Reason>;
  private lastMessageId = 0;

  constructor(
    config: AppConfig,
    @Optional() private readonly inbox?: EmulatorInbox,
  ) {
    this.messenger = new EmulatedMessenger(
      config.emulatorProfile('telegram'),
      seedFor(config.EMULATOR_SEED, 'telegram'),
      TELEGRAM_TEST_RECIPIENTS,
      ['chatNotFound', 'blockedByUser', 'userDeactivated'],
    );
  }

  async sendMessage(
    request: TelegramSendMessageRequest,
    idempotencyKey?: string,
    context?: SendContext,
  ): Promise<TelegramResponse> {
    const chat = String(request.chat_id);
    if (characterCount(request.text) > MESSENGER_RULES.telegram.maxBodyLength)
      return TELEGRAM_ERRORS.messageTooLong.response;
    const send = { recipient: chat, body: request.text, idempotencyKey };
    const verdict = await this.messenger.deliver(
      'telegram',
      send,
      () => String(++this.lastMessageId),
      this.inbox,
      context,
    );
    switch (verdict.kind) {
      case 'accepted':
        return {
          ok: true,
          result: {
            message_id: Number(verdict.providerMessageId),
            date: Math.floor(Date.now() / 1000),
            chat: { id: request.chat_id, type: 'private' },
            text: request.text,
          },
        };
      case 'transient':
        return TELEGRAM_ERRORS.badGateway.response;
      case 'throttled':
        return TELEGRAM_ERRORS.tooManyRequests(Math.max(1, Math.ceil(verdict.retryAfterMs / 1000))).response;
      case 'permanent':
        return TELEGRAM_ERRORS[verdict.reason].response;
      case 'timeout':
        throw new Error('unreachable: a timeout is never answered');
    }
  }
}
