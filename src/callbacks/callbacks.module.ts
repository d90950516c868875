import { Module } from '@nestjs/common';
import { CallbackDeliveryService } from './callback-delivery.service';
import { CallbackPolicy } from './callback-policy';
import { CallbacksController } from './callbacks.controller';
import { CallbacksRepository } from './callbacks.repository';
import { CallbacksWorker } from './callbacks.worker';

/**
 * Status callbacks: the policy POST /messages checks callback_url against, the outbox's delivery worker
 * (in the worker role), and GET /messages/:id/callbacks. The events themselves are written by the
 * statements that move messages (insertCallbackEvents).
 */
@Module({
  controllers: [CallbacksController],
  providers: [CallbackPolicy, CallbacksRepository, CallbackDeliveryService, CallbacksWorker],
  exports: [CallbackPolicy, CallbackDeliveryService],
})
export class CallbacksModule {}
