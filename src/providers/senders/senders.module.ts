import { Module } from '@nestjs/common';
import { SenderDirectory } from './sender-directory';

/** The sender accounts of SENDERS_FILE: read by the API (a message records its account) and the dispatcher. */
@Module({
  providers: [SenderDirectory],
  exports: [SenderDirectory],
})
export class SendersModule {}
