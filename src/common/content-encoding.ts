import { HttpStatus } from '@nestjs/common';
import { errorCodes, type FastifyReply, type FastifyRequest } from 'fastify';
import { Transform, type Readable, type TransformCallback } from 'node:stream';
import zlib from 'node:zlib';
import { RequestRejectedException } from './request-rejected';

/** The content codings a request body may come in (RFC 9110 8.4.1); x-gzip is gzip's old name. */
const DECODERS = new Map<string, () => Transform>([
  ['gzip', () => zlib.createGunzip()],
  ['x-gzip', () => zlib.createGunzip()],
  ['deflate', () => zlib.createInflate()],
  ['br', () => zlib.createBrotliDecompress()],
]);

/**
 * A fastify preParsing hook: a body sent with Content-Encoding gzip, deflate or br is decoded as it streams
 * in, before the content-type parser sees it, and the route's body limit applies to the decoded bytes.
 * identity is no coding at all. Anything else, or codings stacked, is a 415 naming the header; a body that
 * does not decode is a 400.
 */
export function decodeContentEncoding() {
  return (
    request: FastifyRequest,
    _reply: FastifyReply,
    payload: Readable,
    done: (error: Error | null, payload?: Readable) => void,
  ): void => {
    const header = request.headers['content-encoding'];
    if (header === undefined || !hasBody(request)) return done(null, payload);
    const codings = header
      .split(',')
      .map((coding) => coding.trim().toLowerCase())
      .filter((coding) => coding !== '' && coding !== 'identity');
    if (codings.length === 0) return done(null, payload);
    const decoder = codings.length === 1 ? DECODERS.get(codings[0])?.() : undefined;
    if (!decoder) {
      return done(
        new RequestRejectedException(
          HttpStatus.UNSUPPORTED_MEDIA_TYPE,
          'UNSUPPORTED_CONTENT_ENCODING',
          `Content-Encoding "${header}" is not supported: send the body as it is, or in one of ${[...DECODERS.keys()].join(', ')}`,
        ),
      );
    }
    done(null, decoded(payload, decoder, codings[0], request.routeOptions.bodyLimit));
  };
}

function hasBody(request: FastifyRequest): boolean {
  const length = request.headers['content-length'];
  return request.headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/**
 * The decoded body, as fastify reads a preParsing stream: `receivedEncodedLength` is what came over the
 * wire, which fastify checks against Content-Length.
 */
class DecodedBody extends Transform {
  receivedEncodedLength = 0;
  private decodedLength = 0;

  constructor(private readonly limit: number) {
    super();
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.decodedLength += chunk.length;
    // fastify stops at the limit too, but would let the decoder inflate the rest of a zip bomb first.
    if (this.decodedLength > this.limit) return callback(new errorCodes.FST_ERR_CTP_BODY_TOO_LARGE());
    callback(null, chunk);
  }
}

function decoded(payload: Readable, decoder: Transform, coding: string, limit: number): Readable {
  const body = new DecodedBody(limit);
  payload.on('data', (chunk: Buffer) => (body.receivedEncodedLength += chunk.length));
  payload.on('error', (error) => body.destroy(error));
  decoder.on('error', (error) =>
    body.destroy(
      new RequestRejectedException(
        HttpStatus.BAD_REQUEST,
        'MALFORMED_REQUEST',
        `The body is not valid ${coding}: ${error.message}`,
      ),
    ),
  );
  // Once the body has failed (or ended), what is still coming in is read and dropped, not decoded.
  body.on('close', () => {
    payload.unpipe(decoder);
    decoder.destroy();
  });
  // fastify stops listening once it has its answer: a later error must not go unheard (an uncaught error).
  body.on('error', () => undefined);
  payload.pipe(decoder).pipe(body);
  return body;
}
