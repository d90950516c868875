import {
  Body,
  Controller,
  Delete,
  Get,
  HttpCode,
  HttpStatus,
  Param,
  ParseUUIDPipe,
  Post,
  Query,
  Res,
} from '@nestjs/common';
import { ApiTags } from '@nestjs/swagger';
import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyReply } from 'fastify';
import { Client } from '../auth/client.decorator';
import { admitByWork } from '../common/admission';
import { ApiStandardResponses } from '../common/api-standard-responses';
import { RequestValidationException } from '../common/validation-errors';
import { IDEMPOTENCY_REPLAY_HEADER, IdempotencyKey } from '../idempotency/idempotency-key.decorator';
import { IdempotencyService } from '../idempotency/idempotency.service';
import { DispatchMetrics } from '../metrics/dispatch.metrics';
import { CreateMessageDto } from './dto/create-message.dto';
import { ListMessagesQueryDto } from './dto/list-messages.query.dto';
import {
  AttemptListDto,
  CreateMessagesResponseDto,
  MessageDto,
  MessagePageDto,
  toAcceptedMessageDto,
  toAttemptDto,
  toMessageDto,
} from './dto/message.dto';
import {
  ApiCancelMessage,
  ApiCreateMessage,
  ApiGetMessage,
  ApiListAttempts,
  ApiListMessages,
  ApiRetryMessage,
} from './messages.api-docs';
import { MessagesService } from './messages.service';

const idPipe = new ParseUUIDPipe({
  exceptionFactory: () => new RequestValidationException([{ field: 'id', reason: 'must be a UUID' }]),
});

/** A request's work is its recipients; anything that is not a list of them is one unit, refused by validation. */
const recipientCount = (body: unknown): number => {
  const recipients = (body as { recipients?: unknown } | null)?.recipients;
  return Array.isArray(recipients) ? Math.max(1, recipients.length) : 1;
};

@ApiTags('messages')
@Controller('messages')
@ApiStandardResponses()
export class MessagesController {
  constructor(
    private readonly messages: MessagesService,
    private readonly idempotency: IdempotencyService,
    private readonly metrics: DispatchMetrics,
  ) {}

  @Post()
  @HttpCode(HttpStatus.ACCEPTED)
  @RouteConfig(admitByWork(recipientCount))
  @ApiCreateMessage()
  async create(
    @Client() client: string,
    @Body() request: CreateMessageDto,
    @IdempotencyKey() idempotencyKey: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<CreateMessagesResponseDto> {
    const answer = await this.idempotency.run(
      client,
      idempotencyKey,
      { operation: 'POST /messages', payload: request },
      async () => {
        const stored = await this.messages.create(client, request);
        return {
          status: stored.every((entry) => entry.duplicate) ? HttpStatus.OK : HttpStatus.ACCEPTED,
          body: { messages: stored.map(({ message, duplicate }) => toAcceptedMessageDto(message, duplicate)) },
        };
      },
    );
    reply.status(answer.status);
    if (answer.replayed) reply.header(IDEMPOTENCY_REPLAY_HEADER, 'true');
    else this.metrics.accepted(answer.body.messages);
    return answer.body;
  }

  @Get()
  @ApiListMessages()
  async list(@Client() client: string, @Query() query: ListMessagesQueryDto): Promise<MessagePageDto> {
    const page = await this.messages.list(client, query);
    return { items: page.items.map(toMessageDto), next_cursor: page.nextCursor };
  }

  @Get(':id/attempts')
  @ApiListAttempts()
  async listAttempts(@Client() client: string, @Param('id', idPipe) id: string): Promise<AttemptListDto> {
    return { items: (await this.messages.listAttempts(client, id)).map(toAttemptDto) };
  }

  @Post(':id/retry')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiRetryMessage()
  async retry(@Client() client: string, @Param('id', idPipe) id: string): Promise<MessageDto> {
    return toMessageDto(await this.messages.retry(client, id));
  }

  @Delete(':id')
  @ApiCancelMessage()
  async cancel(@Client() client: string, @Param('id', idPipe) id: string): Promise<MessageDto> {
    return toMessageDto(await this.messages.cancel(client, id));
  }

  @Get(':id')
  @ApiGetMessage()
  async getById(@Client() client: string, @Param('id', idPipe) id: string): Promise<MessageDto> {
    return toMessageDto(await this.messages.getById(client, id));
  }
}
