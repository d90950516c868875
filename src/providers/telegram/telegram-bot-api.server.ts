import { All, Controller, Param, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { normalizeRecipient } from '../messengers';
import { telegram } from './telegram.definition';
import {
  TELEGRAM_ERRORS,
  type TelegramErrorResponse,
  type TelegramResponse,
  type TelegramSendMessageRequest,
} from './telegram-bot-api';
import { TelegramBotApiEmulator } from './telegram-bot-api.emulator';
import {
  answerWith,
  IDEMPOTENCY_KEY_RULE,
  idempotencyKeyOf,
  isObject,
  mediaType,
  parseJson,
  sendContext,
} from '../../emulator-server/emulator-http';

const badRequest = (description: string): TelegramErrorResponse => ({
  ok: false,
  error_code: 400,
  description: `Bad Request: ${description}`,
});

/** What the Bot API answers a path it does not serve, a method it does not know, or a path without a token. */
export const TELEGRAM_NOT_FOUND: TelegramErrorResponse = { ok: false, error_code: 404, description: 'Not Found' };

/**
 * The parameters of a Bot API call, from wherever Telegram takes them: the query string, then a JSON or a
 * form body. A JSON body that does not parse counts as no parameters, so the answer names the one missing.
 */
function callParameters(request: FastifyRequest): Record<string, unknown> {
  const query = isObject(request.query) ? request.query : {};
  const type = mediaType(request);
  let body: Record<string, unknown> = {};
  if (type === 'application/json') {
    const parsed = parseJson(request.body);
    if (isObject(parsed)) body = parsed;
  } else if (type === 'application/x-www-form-urlencoded' && typeof request.body === 'string') {
    body = Object.fromEntries(new URLSearchParams(request.body));
  }
  return { ...query, ...body };
}

/** The sendMessage request in the emulator's terms, or the 400 Telegram answers a call it cannot take. */
export function telegramSendMessageFromCall(
  parameters: Record<string, unknown>,
): TelegramSendMessageRequest | TelegramErrorResponse {
  const { chat_id: chatId, text } = parameters;
  if (chatId === undefined || chatId === null || chatId === '') return badRequest('chat_id is empty');
  if (typeof text !== 'string' || text.trim() === '') return TELEGRAM_ERRORS.messageTextEmpty.response;
  const chat = typeof chatId === 'number' ? String(chatId) : chatId;
  if (typeof chat !== 'string' || !telegram.recipientPattern.test(chat)) {
    return TELEGRAM_ERRORS.chatNotFound.response;
  }
  // @usernames are case-insensitive, as the in-process emulator sees them (normalised by POST /messages).
  const normalised = normalizeRecipient('telegram', chat) as string;
  const numeric = /^-?\d+$/.test(normalised) && Number.isSafeInteger(Number(normalised));
  return { chat_id: numeric ? Number(normalised) : normalised, text };
}

const json = (response: TelegramResponse) => ({
  status: response.ok ? 200 : response.error_code,
  json: JSON.stringify(response),
});

/**
 * Telegram's Bot API over HTTP, at its real path: `/bot<token>/sendMessage`, by GET or POST, the method name
 * in any case. Every token is a bot of its own with its own flood limits, except one starting with "revoked",
 * answered as Telegram answers a revoked token.
 */
@Controller()
export class TelegramBotApiServer {
  constructor(private readonly emulator: TelegramBotApiEmulator) {}

  @All('bot/:method')
  withoutToken(@Res() reply: FastifyReply): Promise<void> {
    return answerWith(reply, () => Promise.resolve(json(TELEGRAM_NOT_FOUND)));
  }

  @All('bot:token/:method')
  call(
    @Param('token') token: string,
    @Param('method') method: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    return answerWith(reply, async () => {
      if (token.startsWith('revoked')) return json(TELEGRAM_ERRORS.unauthorized.response);
      if (method.toLowerCase() !== 'sendmessage') return json(TELEGRAM_NOT_FOUND);
      const key = idempotencyKeyOf(request);
      if (key === null) return json(badRequest(IDEMPOTENCY_KEY_RULE));
      const send = telegramSendMessageFromCall(callParameters(request));
      if ('ok' in send) return json(send);
      return json(await this.emulator.sendMessage(send, key, sendContext(token)));
    });
  }
}
