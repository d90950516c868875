import { Controller, Get, Res } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { Public } from '../auth/public.decorator';
import type { FastifyReply } from 'fastify';
import { HealthAnswer, HealthService } from './health.service';

/** Probes for an orchestrator or a load balancer. Operations, not the client API: left out of /docs. */
@ApiExcludeController()
@Public()
@Controller('health')
export class HealthController {
  constructor(private readonly health: HealthService) {}

  @Get('live')
  live(@Res({ passthrough: true }) reply: FastifyReply): HealthAnswer['body'] {
    return answer(reply, this.health.live());
  }

  /** 200 or 503, with terminus' report of each check either way. */
  @Get('ready')
  async ready(@Res({ passthrough: true }) reply: FastifyReply): Promise<HealthAnswer['body']> {
    return answer(reply, await this.health.ready());
  }
}

function answer(reply: FastifyReply, { statusCode, body }: HealthAnswer): HealthAnswer['body'] {
  reply.status(statusCode).header('cache-control', 'no-store');
  return body;
}
