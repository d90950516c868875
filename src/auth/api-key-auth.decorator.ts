import { applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, ApiTooManyRequestsResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { ApiErrorDto } from '../common/api-error.dto';

/** The name of the security scheme in the OpenAPI document (DocumentBuilder.addBearerAuth in http-app.ts). */
export const API_KEY_SCHEME = 'api-key';

const unauthenticated = (reason: string) => ({
  statusCode: 401,
  code: 'UNAUTHENTICATED',
  message: `The Authorization header ${reason}`,
  errors: [{ field: 'Authorization', reason: `The Authorization header ${reason}` }],
});

/**
 * Documents what the global guards (ApiKeyGuard, ClientRateLimitGuard) do to every operation of a
 * controller: it needs a key, and answers 401 without a valid one and 429 over the client's rate limit.
 */
export const ApiKeyAuth = () =>
  applyDecorators(
    ApiBearerAuth(API_KEY_SCHEME),
    ApiUnauthorizedResponse({
      type: ApiErrorDto,
      description: 'No API key, a malformed Authorization header, or a key that is not configured.',
      headers: {
        'WWW-Authenticate': { description: 'The scheme to use.', schema: { type: 'string', example: 'Bearer realm="messenger-dispatch"' } },
      },
      examples: {
        missing: { summary: 'No Authorization header', value: unauthenticated('is missing: send "Authorization: Bearer <API key>"') },
        malformed: { summary: 'Not a bearer token', value: unauthenticated('must be "Bearer <API key>"') },
        invalid: { summary: 'An unknown key', value: unauthenticated('is not a valid API key') },
      },
    }),
    ApiTooManyRequestsResponse({
      type: ApiErrorDto,
      description: "Over the client's rate limit (API_RATE_LIMIT_PER_SECOND, per API process): try again after Retry-After.",
      headers: {
        'Retry-After': { description: 'Seconds until the client may send again.', schema: { type: 'integer', example: 1 } },
      },
      example: {
        statusCode: 429,
        code: 'RATE_LIMITED',
        message: 'Client "billing" made more than 2000 requests in 2 s; try again in 1 s',
      },
    }),
  );
