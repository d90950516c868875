import { Controller, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { VIBER_STATUSES, type ViberResponse, type ViberSendMessageRequest } from './viber-rest-api';
import { ViberRestApiEmulator } from './viber-rest-api.emulator';
import { viber } from './viber.definition';
import {
  answerWith,
  IDEMPOTENCY_KEY_RULE,
  idempotencyKeyOf,
  isObject,
  parseJson,
  sendContext,
} from '../../emulator-server/emulator-http';

/** Viber's limit on the name a bot message shows as its author. */
const MAX_SENDER_NAME = 28;

const status = (response: ViberResponse, status_message = response.status_message): ViberResponse => ({
  ...response,
  status_message,
});

/**
 * The answer as Viber writes it: always HTTP 200, and message_token a bare 64-bit JSON number (a client must
 * read it without rounding), where the emulator carries it as its digits.
 */
export function viberWire(response: ViberResponse): { status: number; json: string } {
  const { message_token: token, ...rest } = response;
  const json = JSON.stringify(rest);
  if (token === undefined || !/^\d+$/.test(token)) return { status: 200, json };
  return { status: 200, json: `${json.slice(0, -1)}${json.length > 2 ? ',' : ''}"message_token":${token}}` };
}

/** The text send in the emulator's terms, or the status Viber answers a body it cannot take. */
export function viberSendFromBody(body: unknown): ViberSendMessageRequest | ViberResponse {
  if (!isObject(body)) return VIBER_STATUSES.badData.response;
  const { receiver, type, text, sender, tracking_data: trackingData } = body;
  if (receiver === undefined || type === undefined || text === undefined || !isObject(sender)) {
    return VIBER_STATUSES.missingData.response;
  }
  if (sender.name === undefined) return VIBER_STATUSES.missingData.response;
  if (typeof sender.name !== 'string' || [...sender.name].length > MAX_SENDER_NAME) {
    return status(
      VIBER_STATUSES.badData.response,
      `badData: sender.name must be text of at most ${MAX_SENDER_NAME} characters`,
    );
  }
  if (type !== 'text') {
    return status(VIBER_STATUSES.badData.response, 'badData: the emulator server sends text messages only');
  }
  if (typeof text !== 'string' || text === '') return VIBER_STATUSES.missingData.response;
  if (typeof receiver !== 'string' || !viber.recipientPattern.test(receiver)) {
    return VIBER_STATUSES.receiverNotRegistered.response;
  }
  return {
    receiver,
    min_api_version: 1,
    sender: { name: sender.name },
    tracking_data: typeof trackingData === 'string' ? trackingData : '',
    type: 'text',
    text,
  };
}

/**
 * Viber's REST bot API over HTTP, at its real path: `POST /pa/send_message` with X-Viber-Auth-Token. Each token
 * is a bot of its own with its own limit. Any token is accepted, except none or one starting with "revoked",
 * answered as Viber answers an invalid token: HTTP 200, status 2.
 */
@Controller()
export class ViberRestApiServer {
  constructor(private readonly emulator: ViberRestApiEmulator) {}

  @Post('pa/send_message')
  send(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    return answerWith(reply, async () => {
      const token = request.headers['x-viber-auth-token'];
      if (typeof token !== 'string' || token === '' || token.startsWith('revoked')) {
        return viberWire(VIBER_STATUSES.invalidAuthToken.response);
      }
      const key = idempotencyKeyOf(request);
      if (key === null) return viberWire(status(VIBER_STATUSES.badData.response, `badData: ${IDEMPOTENCY_KEY_RULE}`));
      const send = viberSendFromBody(parseJson(request.body));
      if ('status' in send) return viberWire(send);
      return viberWire(await this.emulator.sendMessage(send, key, sendContext(token)));
    });
  }
}
