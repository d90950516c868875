import { Module } from '@nestjs/common';
import { RetentionRepository } from './retention.repository';
import { RetentionScheduler } from './retention.scheduler';
import { RetentionService } from './retention.service';

/** Removes expired finished messages and dedup records (MESSAGE_RETENTION, DEDUP_RETENTION). */
@Module({
  providers: [RetentionRepository, RetentionService, RetentionScheduler],
  exports: [RetentionService],
})
export class RetentionModule {}
