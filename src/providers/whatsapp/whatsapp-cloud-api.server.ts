import { Controller, Param, Post, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { randomBytes } from 'node:crypto';
import {
  WHATSAPP_ERRORS,
  whatsAppErrorResponse,
  type WhatsAppError,
  type WhatsAppSendRequest,
} from './whatsapp-cloud-api';
import { WhatsAppCloudApiEmulator } from './whatsapp-cloud-api.emulator';
import {
  answerWith,
  IDEMPOTENCY_KEY_RULE,
  idempotencyKeyOf,
  isObject,
  parseJson,
  sendContext,
} from '../../emulator-server/emulator-http';

/** A Graph error the server words itself (the emulator's catalogue holds the ones a send meets). */
interface GraphFailure {
  readonly httpStatus: number;
  readonly error: Omit<WhatsAppError, 'fbtrace_id'>;
}

/** Graph's trace id: new on every request, as Meta stamps it. */
const fbtraceId = () => randomBytes(20).toString('base64url').slice(0, 27);

const graph = (failure: GraphFailure) => ({
  status: failure.httpStatus,
  json: JSON.stringify(whatsAppErrorResponse({ ...failure, meaning: '' }, fbtraceId())),
});

const parameterRequired = (name: string): GraphFailure => ({
  httpStatus: 400,
  error: { message: `(#100) The parameter ${name} is required.`, type: 'OAuthException', code: 100 },
});

const invalidValue = (details: string): GraphFailure => ({
  httpStatus: 400,
  error: {
    ...WHATSAPP_ERRORS.parameterValueInvalid.error,
    error_data: { messaging_product: 'whatsapp', details },
  },
});

/** The answers Graph gives before the Cloud API sees the message: the token, the path. */
export const GRAPH_FAILURES = {
  /** No token at all. */
  accessTokenMissing: {
    httpStatus: 400,
    error: { message: 'An access token is required to request this resource.', type: 'OAuthException', code: 104 },
  },
  /** A token Meta no longer honours: revoked, or invalidated by a password change. */
  accessTokenInvalid: {
    httpStatus: 401,
    error: {
      message:
        'Error validating access token: The session has been invalidated because the user changed their password or Facebook has changed the session for security reasons.',
      type: 'OAuthException',
      code: 190,
      error_subcode: 460,
    },
  },
  /** A path Graph does not know: here, a version that is not v<major>.<minor>. */
  unknownPath: (path: string): GraphFailure => ({
    httpStatus: 400,
    error: { message: `Unknown path components: ${path}`, type: 'OAuthException', code: 2500 },
  }),
  /** A phone number id that is no object of Graph's. */
  unknownObject: (id: string): GraphFailure => ({
    httpStatus: 400,
    error: {
      message: `Unsupported post request. Object with ID '${id}' does not exist, cannot be loaded due to missing permissions, or does not support this operation. Please read the Graph API documentation at https://developers.facebook.com/docs/graph-api`,
      type: 'GraphMethodException',
      code: 100,
      error_subcode: 33,
    },
  }),
} as const;

/** The bearer token of the request: the Authorization header, or Graph's access_token parameter. */
function accessTokenOf(request: FastifyRequest): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
  if (match) return match[1];
  const query = request.query as Record<string, unknown> | undefined;
  return typeof query?.access_token === 'string' && query.access_token !== '' ? query.access_token : undefined;
}

/** The text send in the emulator's terms, or the error the Cloud API answers a body it cannot take. */
export function whatsAppSendFromBody(body: unknown): WhatsAppSendRequest | GraphFailure {
  if (!isObject(body)) return invalidValue('The request body must be a JSON object.');
  if (body.messaging_product !== 'whatsapp') return parameterRequired('messaging_product');
  if (typeof body.to !== 'string' || body.to === '') return parameterRequired('to');
  if ((body.type ?? 'text') !== 'text') {
    return invalidValue('The emulator server sends text messages only: type must be "text".');
  }
  const text: unknown = body.text;
  if (!isObject(text) || typeof text.body !== 'string' || text.body === '') {
    return WHATSAPP_ERRORS.requiredParameterMissing;
  }
  const to = body.to.replace(/^\+/, '');
  // Not a phone number in international form: no WhatsApp account can have it.
  if (!/^[1-9]\d{7,14}$/.test(to)) return WHATSAPP_ERRORS.undeliverable;
  return {
    messaging_product: 'whatsapp',
    recipient_type: 'individual',
    to,
    type: 'text',
    text: { preview_url: false, body: text.body },
  };
}

/**
 * The WhatsApp Cloud API over HTTP, at its real path: `POST /v<NN.N>/<phone-number-id>/messages`, any version.
 * Each phone number id is a business number of its own, with its own throughput and pair limits. Any bearer
 * token is accepted, except one starting with "revoked", answered as Graph answers a revoked token.
 */
@Controller()
export class WhatsAppCloudApiServer {
  constructor(private readonly emulator: WhatsAppCloudApiEmulator) {}

  @Post('v:version/:phoneNumberId/messages')
  send(
    @Param('version') version: string,
    @Param('phoneNumberId') phoneNumberId: string,
    @Req() request: FastifyRequest,
    @Res() reply: FastifyReply,
  ): Promise<void> {
    return answerWith(reply, async () => {
      const token = accessTokenOf(request);
      if (token === undefined) return graph(GRAPH_FAILURES.accessTokenMissing);
      if (token.startsWith('revoked')) return graph(GRAPH_FAILURES.accessTokenInvalid);
      if (!/^\d+\.\d+$/.test(version)) return graph(GRAPH_FAILURES.unknownPath(`/v${version}`));
      if (!/^\d{1,20}$/.test(phoneNumberId)) return graph(GRAPH_FAILURES.unknownObject(phoneNumberId));
      const key = idempotencyKeyOf(request);
      if (key === null) return graph(invalidValue(IDEMPOTENCY_KEY_RULE));
      const send = whatsAppSendFromBody(parseJson(request.body));
      if ('httpStatus' in send) return graph(send);
      const { httpStatus, body } = await this.emulator.sendMessage(send, key, sendContext(phoneNumberId));
      return { status: httpStatus, json: JSON.stringify(body) };
    });
  }
}
