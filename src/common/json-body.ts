import { isUtf8 } from 'node:buffer';
import { HttpStatus } from '@nestjs/common';
import type { FastifyInstance, FastifyReply, FastifyRequest, HookHandlerDoneFunction } from 'fastify';
import { RequestRejectedException } from './request-rejected';
import { decodeUtf8, illFormedTextErrors } from './unicode';
import { RequestValidationException } from './validation-errors';

/** The charset parameter of a Content-Type, unquoted; undefined when there is none. */
function declaredCharset(contentType: string | undefined): string | undefined {
  const match = /;\s*charset\s*=\s*(?:"([^"]*)"|([^;\s]*))/i.exec(contentType ?? '');
  return match ? (match[1] ?? match[2]) : undefined;
}

/** Requests whose body may hold text that is not well-formed: rejectIllFormedText walks only these. */
const unchecked = new WeakSet<FastifyRequest>();

/**
 * application/json bodies, in UTF-8 only. fastify's own parser decodes with replacement, so bytes that are
 * not UTF-8 became U+FFFD and a lone-surrogate escape went through: the stored text was not the text
 * sent. Here another declared charset is a 415, and both of those are left for rejectIllFormedText to
 * name. The parsing itself is still fastify's (secure-json-parse: __proto__ and constructor.prototype are
 * refused), as are its errors for an empty or malformed body.
 */
export function useUtf8JsonParser(fastify: FastifyInstance): void {
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  fastify.removeContentTypeParser('application/json');
  fastify.addContentTypeParser('application/json', { parseAs: 'buffer' }, (request, body: Buffer, done) => {
    const charset = declaredCharset(request.headers['content-type']);
    if (charset !== undefined && charset.toLowerCase() !== 'utf-8') {
      done(
        new RequestRejectedException(
          HttpStatus.UNSUPPORTED_MEDIA_TYPE,
          'UNSUPPORTED_MEDIA_TYPE',
          `charset=${charset} is not supported: JSON bodies are UTF-8 (charset=utf-8, or no charset)`,
        ),
        undefined,
      );
      return;
    }
    const utf8 = isUtf8(body);
    const text = utf8 ? body.toString('utf8') : decodeUtf8(body);
    // Text that was UTF-8 can hold a lone surrogate only as a \u escape: most bodies need no walk.
    if (!utf8 || text.includes('\\u')) unchecked.add(request);
    void parseJson(request, text, done);
  });
}

/**
 * A fastify preValidation hook, after rejectOversizedJson: a query parameter or a JSON field (name or
 * value) that is not valid Unicode is a 400 naming it.
 */
export function rejectIllFormedText() {
  return (request: FastifyRequest, _reply: FastifyReply, done: HookHandlerDoneFunction): void => {
    const errors = illFormedTextErrors(request.query);
    if (unchecked.has(request)) errors.push(...illFormedTextErrors(request.body));
    done(errors.length > 0 ? new RequestValidationException(errors) : undefined);
  };
}
