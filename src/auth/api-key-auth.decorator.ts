import { applyDecorators } from '@nestjs/common';
import { ApiBearerAuth, type OpenAPIObject } from '@nestjs/swagger';
import { apiErrorExample, ApiErrorResponse, retryAfterHeader } from '../common/api-docs';

/** The name of the security scheme in the OpenAPI document (its definition is in http-app.ts). */
export const API_KEY_SCHEME = 'api-key';

const unauthenticated = (name: string, summary: string, problem: string) =>
  apiErrorExample(name, summary, 401, 'UNAUTHENTICATED', `The Authorization header ${problem}`, {
    field: 'Authorization',
    reason: `The Authorization header ${problem}`,
  });

const UNAUTHENTICATED = [
  unauthenticated('NoApiKey', 'No Authorization header', 'is missing: send "Authorization: Bearer <API key>"'),
  unauthenticated('NotABearerToken', 'Not a bearer token', 'must be "Bearer <API key>"'),
  unauthenticated('UnknownApiKey', 'An unknown key', 'is not a valid API key'),
];

const RATE_LIMITED = apiErrorExample(
  'RateLimited',
  "Over the client's rate limit",
  429,
  'RATE_LIMITED',
  'Client "billing" made more than 2000 requests in 2 s; try again in 1 s',
);

/**
 * Documents what the global guards (ApiKeyGuard, ClientRateLimitGuard) do to every operation of a
 * controller: it needs a key, and answers 401 without a valid one and 429 over the client's rate limit.
 * In open mode, or without a rate limit, configureHttpApp takes out what does not apply.
 */
export const ApiKeyAuth = () =>
  applyDecorators(
    ApiBearerAuth(API_KEY_SCHEME),
    ApiErrorResponse({
      status: 401,
      description: 'No API key, a malformed Authorization header, or a key that is not configured.',
      headers: {
        'WWW-Authenticate': {
          description: 'The scheme to use.',
          schema: { type: 'string', example: 'Bearer realm="messenger-dispatch"' },
        },
      },
      examples: UNAUTHENTICATED,
    }),
    ApiErrorResponse({
      status: 429,
      description:
        "Over the client's rate limit (API_RATE_LIMIT_PER_SECOND, per API process): try again after Retry-After.",
      headers: retryAfterHeader(1),
      examples: [RATE_LIMITED],
    }),
  );

/**
 * Makes the document say what this configuration does. Without API_KEYS (open mode) no operation needs a key:
 * each declares `security: []`, has no 401, and the scheme goes, so /docs offers no "Authorize". Without a rate
 * limit there is no 429.
 */
export function documentAccess(
  document: OpenAPIObject,
  { apiKeys, rateLimit }: { apiKeys: boolean; rateLimit: boolean },
): OpenAPIObject {
  for (const path of Object.values(document.paths)) {
    for (const method of ['get', 'put', 'post', 'delete', 'patch'] as const) {
      const operation = path[method];
      if (!operation) continue;
      if (!apiKeys) {
        operation.security = [];
        delete operation.responses['401'];
      }
      if (!rateLimit) delete operation.responses['429'];
    }
  }
  if (!apiKeys && document.components?.securitySchemes) {
    delete document.components.securitySchemes[API_KEY_SCHEME];
    if (Object.keys(document.components.securitySchemes).length === 0) delete document.components.securitySchemes;
  }
  return document;
}
