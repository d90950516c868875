import { Controller, Get, HttpStatus, Param, ParseEnumPipe, Query } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import { Client } from '../../auth/client.decorator';
import { apiErrorExample, apiExample, ApiErrorResponse, ApiExampleResponse } from '../../common/api-docs';
import { ApiStandardResponses } from '../../common/api-standard-responses';
import { EXAMPLE_MESSAGE_ID } from '../../messages/messages.examples';
import { RequestValidationException } from '../../common/validation-errors';
import { normalizeRecipient, PROVIDER_NAMES, type ProviderName } from '../messengers';
import { EmulatorInbox } from './emulator-inbox';

// The Swagger CLI plugin reads only *.dto.ts files, so these classes declare their schema themselves.

export class InboxQueryDto {
  @ApiPropertyOptional({
    description: 'Only deliveries to this recipient, written as POST /messages takes it (a Telegram @username in any case).',
    maxLength: 64,
    example: '123456789',
  })
  @Matches(/^[^\u0000]*$/, { message: 'must not contain the NUL character (\\u0000)' })
  @MaxLength(64)
  @IsString()
  @IsOptional()
  recipient?: string;

  @ApiPropertyOptional({ description: 'How many, newest first (1-1000).', type: 'integer', minimum: 1, maximum: 1000, default: 100 })
  @Max(1000)
  @Min(1)
  @IsInt()
  @IsOptional()
  @Type(() => Number)
  limit: number = 100;
}

export class InboxDeliveryDto {
  @ApiProperty({ description: 'Our message id, as the idempotency key of the send.', format: 'uuid', example: EXAMPLE_MESSAGE_ID })
  idempotency_key: string;

  @ApiProperty({ example: '123456789' })
  recipient: string;

  @ApiProperty({ example: 'Your order #1042 has shipped.' })
  body: string;

  @ApiProperty({ description: 'The id the messenger gave the message.', example: '52817' })
  provider_message_id: string;

  @ApiProperty({ description: 'When the messenger accepted it.', format: 'date-time', example: '2026-12-01T06:00:01.412Z' })
  accepted_at: string;
}

export class InboxDto {
  @ApiProperty({ description: 'What the messenger accepted, newest first: one entry per delivery.', type: [InboxDeliveryDto] })
  items: InboxDeliveryDto[];
}

const INBOX_EXAMPLES = {
  deliveries: apiExample('InboxDeliveries', 'One delivery', {
    items: [
      {
        idempotency_key: EXAMPLE_MESSAGE_ID,
        recipient: '123456789',
        body: 'Your order #1042 has shipped.',
        provider_message_id: '52817',
        accepted_at: '2026-12-01T06:00:01.412Z',
      },
    ],
  }),
  unknownMessenger: apiErrorExample(
    'InboxOfUnknownMessenger',
    'An unknown messenger',
    400,
    'VALIDATION_FAILED',
    `provider: must be one of: ${PROVIDER_NAMES.join(', ')}`,
    { field: 'provider', reason: `must be one of: ${PROVIDER_NAMES.join(', ')}` },
  ),
};

const providerPipe = new ParseEnumPipe(Object.fromEntries(PROVIDER_NAMES.map((p) => [p, p])), {
  exceptionFactory: () =>
    new RequestValidationException([{ field: 'provider', reason: `must be one of: ${PROVIDER_NAMES.join(', ')}` }]),
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
  @ApiOperation({
    summary: 'What an emulated messenger accepted of your messages, newest first',
    description:
      'The receiving side of an emulated messenger: one entry per delivery it accepted of the calling client’s ' +
      'messages, with the idempotency key it was sent with (the message id), so a client team can see what ' +
      'actually arrived. Other clients’ deliveries are never shown.',
  })
  @ApiParam({ name: 'provider', description: 'The emulated messenger.', enum: PROVIDER_NAMES, example: 'telegram' })
  @ApiExampleResponse({ status: HttpStatus.OK, type: InboxDto, description: 'Its deliveries.', examples: [INBOX_EXAMPLES.deliveries] })
  @ApiErrorResponse({
    status: 400,
    description: 'An unknown messenger, or a query parameter that breaks a rule.',
    examples: [INBOX_EXAMPLES.unknownMessenger],
  })
  async list(
    @Param('provider', providerPipe) provider: ProviderName,
    @Query() query: InboxQueryDto,
    @Client() client: string,
  ): Promise<InboxDto> {
    // As POST /messages stored it: `@SomeUser` finds the deliveries to `@someuser`. Empty means no filter.
    const recipient = query.recipient ? (normalizeRecipient(provider, query.recipient) as string) : undefined;
    const rows = await this.inbox.list(provider, client, recipient, query.limit);
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
