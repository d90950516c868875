import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import type { FastifyRequest } from 'fastify';
import { DomainError, DomainErrorCode } from '../common/domain-error';
import { ApiKeysService } from './api-keys.service';
import { setClientOf } from './client.decorator';
import { IS_PUBLIC } from './public.decorator';

export const AUTHORIZATION_HEADER = 'Authorization';

/** Every route needs an API key unless it is @Public(); the key's name becomes the request's client. */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly keys: ApiKeysService,
    private readonly reflector: Reflector,
  ) {}

  canActivate(context: ExecutionContext): boolean {
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()])) return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const authentication = this.keys.authenticate(request.headers.authorization);
    if ('problem' in authentication) {
      throw new DomainError(
        DomainErrorCode.Unauthenticated,
        `The ${AUTHORIZATION_HEADER} header ${authentication.problem}`,
        {
          field: AUTHORIZATION_HEADER,
        },
      );
    }
    setClientOf(request, authentication.client);
    return true;
  }
}
