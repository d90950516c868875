import { Body, Controller, Get, HttpCode, HttpStatus, Param, ParseUUIDPipe, Post, Query, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiTags,
} from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { ApiErrorDto } from '../common/api-error.dto';
import { RequestValidationException } from '../common/validation-errors';
import { CreateMessageDto } from './dto/create-message.dto';
import { ListMessagesQueryDto } from './dto/list-messages.query.dto';
import {
  AttemptListDto,
  CreateMessagesResponseDto,
  MessageDto,
  MessagePageDto,
  toAttemptDto,
  toMessageDto,
} from './dto/message.dto';
import { API_EXAMPLES } from './messages.examples';
import { MessagesService } from './messages.service';

const idPipe = new ParseUUIDPipe({
  exceptionFactory: () => new RequestValidationException([{ field: 'id', reason: 'must be a UUID' }]),
});

@ApiTags('messages')
@Controller('messages')
export class MessagesController {
  constructor(private readonly messages: MessagesService) {}

  @Post()
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({
    summary: 'Queue a text for one or more recipients',
    description:
      'Stores one message per recipient, atomically, to be sent at send_at (or now). A recipient that ' +
      'already has this exact body on this messenger (not cancelled) is not queued again: its entry is the ' +
      'existing message with "duplicate": true.',
  })
  @ApiAcceptedResponse({ type: CreateMessagesResponseDto, description: 'At least one message was queued.', example: API_EXAMPLES.accepted })
  @ApiOkResponse({ type: CreateMessagesResponseDto, description: 'Every recipient already had this message.', example: API_EXAMPLES.allDuplicates })
  @ApiBadRequestResponse({ type: ApiErrorDto, description: 'Malformed JSON or a field that breaks a rule; nothing was stored.', examples: API_EXAMPLES.createErrors })
  async create(
    @Body() request: CreateMessageDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<CreateMessagesResponseDto> {
    const stored = await this.messages.create(request);
    if (stored.every((entry) => entry.duplicate)) reply.status(HttpStatus.OK);
    return { messages: stored.map(({ message, duplicate }) => ({ ...toMessageDto(message), duplicate })) };
  }

  @Get()
  @ApiOperation({ summary: 'List messages, newest first', description: 'Keyset pagination: pass next_cursor back as cursor.' })
  @ApiOkResponse({ type: MessagePageDto, example: API_EXAMPLES.page })
  @ApiBadRequestResponse({ type: ApiErrorDto, examples: API_EXAMPLES.listErrors })
  async list(@Query() query: ListMessagesQueryDto): Promise<MessagePageDto> {
    const page = await this.messages.list(query);
    return { items: page.items.map(toMessageDto), next_cursor: page.nextCursor };
  }

  @Get(':id/attempts')
  @ApiOperation({
    summary: 'The delivery attempts of a message',
    description: 'One entry per attempt, first to last, with the messenger’s answer: code, description, latency.',
  })
  @ApiOkResponse({ type: AttemptListDto, example: API_EXAMPLES.attempts })
  @ApiBadRequestResponse({ type: ApiErrorDto, example: API_EXAMPLES.badId })
  @ApiNotFoundResponse({ type: ApiErrorDto, example: API_EXAMPLES.notFound })
  async listAttempts(@Param('id', idPipe) id: string): Promise<AttemptListDto> {
    return { items: (await this.messages.listAttempts(id)).map(toAttemptDto) };
  }

  @Post(':id/retry')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({
    summary: 'Retry a failed message',
    description:
      'Puts a failed message back in the queue: pending, due now, with a fresh retry budget (retries_count 0). ' +
      'Its attempt history is kept and its attempts continue from there.',
  })
  @ApiAcceptedResponse({ type: MessageDto, example: API_EXAMPLES.requeued })
  @ApiBadRequestResponse({ type: ApiErrorDto, example: API_EXAMPLES.badId })
  @ApiNotFoundResponse({ type: ApiErrorDto, example: API_EXAMPLES.notFound })
  @ApiConflictResponse({ type: ApiErrorDto, description: 'The message is not failed.', example: API_EXAMPLES.notRetryable })
  async retry(@Param('id', idPipe) id: string): Promise<MessageDto> {
    return toMessageDto(await this.messages.retry(id));
  }

  @Get(':id')
  @ApiOperation({ summary: 'One message, with its delivery status' })
  @ApiOkResponse({ type: MessageDto, example: API_EXAMPLES.sent })
  @ApiBadRequestResponse({ type: ApiErrorDto, example: API_EXAMPLES.badId })
  @ApiNotFoundResponse({ type: ApiErrorDto, example: API_EXAMPLES.notFound })
  async getById(@Param('id', idPipe) id: string): Promise<MessageDto> {
    return toMessageDto(await this.messages.getById(id));
  }
}
