// The types of Fastify's createRateLimit decorator.
import type {} from '@fastify/rate-limit';
import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { HttpAdapterHost, Reflector } from '@nestjs/core';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { DomainError, DomainErrorCode } from '../common/domain-error';
import { AppConfig } from '../config/app-config';
import { clientOf } from './client.decorator';
import { IS_PUBLIC } from './public.decorator';

type Limiter = ReturnType<FastifyInstance['createRateLimit']>;

/**
 * Per-client rate limit, after ApiKeyGuard (global guards run in the order they are provided). Counting is
 * @fastify/rate-limit's in-memory store: a fixed window per client, one LRU lookup per request, no timers.
 * It is per process: N API processes let a client through N times as fast.
 */
@Injectable()
export class ClientRateLimitGuard implements CanActivate {
  private limiter?: Limiter;

  constructor(
    private readonly config: AppConfig,
    private readonly reflector: Reflector,
    private readonly adapterHost: HttpAdapterHost,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const limit = this.config.rateLimit;
    if (!limit || this.reflector.getAllAndOverride<boolean>(IS_PUBLIC, [context.getHandler(), context.getClass()]))
      return true;
    const request = context.switchToHttp().getRequest<FastifyRequest>();
    const result = await this.limiterFor(limit)(request);
    if (result.isAllowed || !result.isExceeded) return true;
    throw new DomainError(
      DomainErrorCode.RateLimited,
      `Client "${result.key}" made more than ${limit.max} requests in ${limit.windowMs / 1000} s; try again in ${result.ttlInSeconds} s`,
      { retryAfterSeconds: result.ttlInSeconds },
    );
  }

  /** Made on first use: the plugin's decorator exists only once Fastify has loaded it (configureHttpApp registers it). */
  private limiterFor(limit: { max: number; windowMs: number }): Limiter {
    if (!this.limiter) {
      const fastify = this.adapterHost.httpAdapter.getInstance<FastifyInstance>();
      if (typeof fastify.createRateLimit !== 'function') {
        throw new Error('@fastify/rate-limit is not registered: configureHttpApp() registers it');
      }
      this.limiter = fastify.createRateLimit({
        max: limit.max,
        timeWindow: limit.windowMs,
        keyGenerator: (request) => clientOf(request),
      });
    }
    return this.limiter;
  }
}
