import { Controller, Get, Param, Query } from '@nestjs/common';
import { ApiExcludeController } from '@nestjs/swagger';
import { EmulatorInbox } from '../providers/emulators/emulator-inbox';
import { InboxQueryDto, providerPipe } from '../providers/emulators/emulator-inbox.controller';
import { type MessengerName, normalizeRecipient } from '../providers/messengers';

/** One delivery, as the API's inbox shows it, but for the key, which a client team's own request has not. */
export interface ServerInboxDelivery {
  readonly idempotency_key: string | null;
  readonly recipient: string;
  readonly body: string;
  readonly provider_message_id: string;
  readonly accepted_at: string;
}

/**
 * The emulator server's inbox: what each emulated messenger accepted, from every caller, newest first. No API
 * key: the server has no clients of its own, only tokens, and is a test aid not to be exposed to the internet.
 */
// In no OpenAPI document: the emulators role serves none (the API's inbox, documented, is EmulatorInboxController).
@ApiExcludeController()
@Controller('emulators')
export class EmulatorServerInboxController {
  constructor(private readonly inbox: EmulatorInbox) {}

  @Get(':provider/inbox')
  async list(
    @Param('provider', providerPipe) provider: MessengerName,
    @Query() query: InboxQueryDto,
  ): Promise<{ items: ServerInboxDelivery[] }> {
    const recipient = query.recipient ? (normalizeRecipient(provider, query.recipient) as string) : undefined;
    const rows = await this.inbox.listAll(provider, recipient, query.limit);
    return {
      items: rows.map((r) => ({
        idempotency_key: r.idempotencyKey,
        recipient: r.recipient,
        body: r.body,
        provider_message_id: r.providerMessageId,
        accepted_at: r.acceptedAt.toISOString(),
      })),
    };
  }
}
