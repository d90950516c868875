import { Module } from '@nestjs/common';
import { TypeOrmModule } from '@nestjs/typeorm';
import { CallbacksModule } from '../callbacks/callbacks.module';
import { IdempotencyModule } from '../idempotency/idempotency.module';
import { MessageAttemptEntity } from './message-attempt.entity';
import { MessageIngest } from './message-ingest';
import { MessageEntity } from './message.entity';
import { MessagesController } from './messages.controller';
import { MessagesRepository } from './messages.repository';
import { MessagesService } from './messages.service';

@Module({
  imports: [TypeOrmModule.forFeature([MessageEntity, MessageAttemptEntity]), IdempotencyModule, CallbacksModule],
  controllers: [MessagesController],
  providers: [MessagesService, MessagesRepository, MessageIngest],
})
export class MessagesModule {}
