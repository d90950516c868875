import { Controller, Get, Param, ParseEnumPipe, Query } from '@nestjs/common';
import { ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { Client } from '../../auth/client.decorator';
import { ApiStandardResponses } from '../../common/api-standard-responses';
import { RequestValidationException } from '../../common/validation-errors';
import { EXAMPLE_MESSENGER } from '../messenger-docs';
import { normalizeRecipient, MESSENGER_NAMES, RECIPIENT_SPELLING_NOTES, type MessengerName } from '../messengers';
import { EmulatorInbox } from './emulator-inbox';
import { ApiListInbox, type InboxDto } from './emulator-inbox.api-docs';

// The Swagger CLI plugin reads only *.dto.ts files, so this class declares its schema itself.

export class InboxQueryDto {
  @ApiPropertyOptional({
    description: `Only deliveries to this recipient, written as POST /messages takes it (${RECIPIENT_SPELLING_NOTES.join('; ')}).`,
    maxLength: 64,
    example: EXAMPLE_MESSENGER.example.recipient,
  })
  @Matches(/^[^\u0000]*$/, { message: 'must not contain the NUL character (\\u0000)' })
  @MaxLength(64)
  @IsString()
  @IsOptional()
  recipient?: string;

  @ApiPropertyOptional({
    description: 'How many, newest first (1-1000).',
    type: 'integer',
    minimum: 1,
    maximum: 1000,
    default: 100,
  })
  @Max(1000)
  @Min(1)
  @IsInt()
  @IsOptional()
  @Type(() => Number)
  limit: number = 100;
}

/** The :provider of an inbox route: one of our messengers, else a 400 naming the field. */
export const providerPipe = new ParseEnumPipe(Object.fromEntries(MESSENGER_NAMES.map((p) => [p, p])), {
  exceptionFactory: () =>
    new RequestValidationException([{ field: 'provider', reason: `must be one of: ${MESSENGER_NAMES.join(', ')}` }]),
});

/**
 * The receiving end of the emulated messengers, for client teams: what each one actually accepted of the
 * caller's messages, so "delivered exactly once" is checked where delivery happens. A test aid, yet it shows
 * bodies and recipients: behind an API key like the rest, and a client sees only its own deliveries.
 */
@ApiTags('emulators')
@Controller('emulators')
// A test aid, yet it shows what was delivered: behind an API key like the rest, each client its own deliveries.
@ApiStandardResponses()
export class EmulatorInboxController {
  constructor(private readonly inbox: EmulatorInbox) {}

  @Get(':provider/inbox')
  @ApiListInbox()
  async list(
    @Param('provider', providerPipe) provider: MessengerName,
    @Query() query: InboxQueryDto,
    @Client() client: string,
  ): Promise<InboxDto> {
    // As POST /messages stored it: `@SomeUser` finds the deliveries to `@someuser`. Empty means no filter.
    const recipient = query.recipient ? (normalizeRecipient(provider, query.recipient) as string) : undefined;
    const rows = await this.inbox.list(provider, client, recipient, query.limit);
    return {
      items: rows.map((r) => ({
        // Joined to one of the client's messages by its key: never null here.
        idempotency_key: r.idempotencyKey!,
        recipient: r.recipient,
        body: r.body,
        provider_message_id: r.providerMessageId,
        accepted_at: r.acceptedAt.toISOString(),
      })),
    };
  }
}
