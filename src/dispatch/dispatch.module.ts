import { Module } from '@nestjs/common';
import { ProvidersModule } from '../providers/providers.module';
import { SendersModule } from '../providers/senders/senders.module';
import { DispatchRepository } from './dispatch.repository';
import { DispatchScheduler } from './dispatch.scheduler';
import { DispatchWakeup } from './dispatch-wakeup';
import { DispatchService } from './dispatch.service';
import { PacingRepository } from './pacing.repository';
import { SharedPacer } from './shared-pacer';
import { DatabaseClock } from '../database/database-clock';
import { SenderGate } from './sender-gate';
import { SenderStateRepository } from './sender-state.repository';

@Module({
  imports: [ProvidersModule, SendersModule],
  providers: [
    DispatchRepository,
    PacingRepository,
    DatabaseClock,
    SharedPacer,
    DispatchService,
    DispatchScheduler,
    DispatchWakeup,
    SenderGate,
    SenderStateRepository,
  ],
  exports: [DispatchService],
})
export class DispatchModule {}
