import { Controller, Get, Param, ParseEnumPipe, Query } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsInt, IsOptional, IsString, Max, MaxLength, Min } from 'class-validator';
import { RequestValidationException } from '../../common/validation-errors';
import { PROVIDER_NAMES, type ProviderName } from '../messengers';
import { EmulatorInbox } from './emulator-inbox';

export class InboxQueryDto {
  /** Only deliveries to this recipient. */
  @MaxLength(64)
  @IsString()
  @IsOptional()
  recipient?: string;

  /** How many, newest first (1-1000). */
  @Max(1000)
  @Min(1)
  @IsInt()
  @IsOptional()
  @Type(() => Number)
  limit: number = 100;
}

export class InboxDeliveryDto {
  /** Our message id, as the idempotency key of the send. */
  idempotency_key: string;
  recipient: string;
  body: string;
  provider_message_id: string;
  accepted_at: string;
}

export class InboxDto {
  /** What the messenger accepted, newest first: one entry per delivery. */
  items: InboxDeliveryDto[];
}

const providerPipe = new ParseEnumPipe(Object.fromEntries(PROVIDER_NAMES.map((p) => [p, p])), {
  exceptionFactory: () =>
    new RequestValidationException([{ field: 'provider', reason: `must be one of: ${PROVIDER_NAMES.join(', ')}` }]),
});

/**
 * The receiving end of the emulated messengers, for client teams and for the chaos run: what each one
 * actually accepted, so "delivered exactly once" is checked where delivery happens.
 */
@ApiTags('emulators')
@Controller('emulators')
export class EmulatorInboxController {
  constructor(private readonly inbox: EmulatorInbox) {}

  @Get(':provider/inbox')
  @ApiOperation({ summary: 'What an emulated messenger accepted, newest first' })
  @ApiOkResponse({ type: InboxDto })
  async list(@Param('provider', providerPipe) provider: ProviderName, @Query() query: InboxQueryDto): Promise<InboxDto> {
    const rows = await this.inbox.list(provider, query.recipient, query.limit);
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
