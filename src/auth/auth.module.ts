import { Module } from '@nestjs/common';
import { APP_GUARD } from '@nestjs/core';
import { ApiKeyGuard } from './api-key.guard';
import { ApiKeysService } from './api-keys.service';
import { ClientRateLimitGuard } from './client-rate-limit.guard';

/**
 * API keys, the client each request acts as, and each client's rate limit, for every route that is not
 * @Public(). The order of the guards matters: the rate limit counts per client, which the key tells.
 */
@Module({
  providers: [
    ApiKeysService,
    { provide: APP_GUARD, useClass: ApiKeyGuard },
    { provide: APP_GUARD, useClass: ClientRateLimitGuard },
  ],
  exports: [ApiKeysService],
})
export class AuthModule {}
