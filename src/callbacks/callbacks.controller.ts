import { Controller, Get, Param, ParseUUIDPipe } from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { Client } from '../auth/client.decorator';
import { ApiStandardResponses } from '../common/api-standard-responses';
import { DomainError, DomainErrorCode } from '../common/domain-error';
import { RequestValidationException } from '../common/validation-errors';
import { ApiListCallbackAttempts } from './callbacks.api-docs';
import { CallbacksRepository } from './callbacks.repository';
import { CallbackAttemptListDto, toCallbackAttemptDto } from './dto/callback-attempt.dto';

const UUID_REQUIRED = { field: 'id', reason: 'must be a UUID' };

@ApiTags('messages')
@Controller('messages')
@ApiStandardResponses()
export class CallbacksController {
  constructor(private readonly callbacks: CallbacksRepository) {}

  @Get(':id/callbacks')
  @ApiListCallbackAttempts()
  async list(
    @Client() client: string,
    @Param('id', new ParseUUIDPipe({ exceptionFactory: () => new RequestValidationException([UUID_REQUIRED]) }))
    id: string,
  ): Promise<CallbackAttemptListDto> {
    const rows = await this.callbacks.listAttempts(client, id);
    // Another client's message is answered exactly as one that does not exist.
    if (!rows) throw new DomainError(DomainErrorCode.MessageNotFound, `No message has id ${id}`, { field: 'id' });
    return { items: rows.map(toCallbackAttemptDto) };
  }
}
