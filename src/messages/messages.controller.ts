import { Body, Controller, Delete, Get, HttpCode, HttpStatus, Param, ParseUUIDPipe, Post, Query, Res } from '@nestjs/common';
import {
  ApiAcceptedResponse,
  ApiBadRequestResponse,
  ApiConflictResponse,
  ApiHeader,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiParam,
  ApiServiceUnavailableResponse,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import { RouteConfig } from '@nestjs/platform-fastify';
import type { FastifyReply } from 'fastify';
import { ApiKeyAuth } from '../auth/api-key-auth.decorator';
import { Client } from '../auth/client.decorator';
import { admitByWork, OVERLOADED_RETRY_AFTER_SECONDS } from '../common/admission';
import { ApiErrorDto } from '../common/api-error.dto';
import { DATABASE_RETRY_AFTER_SECONDS } from '../common/database-unavailable';
import { RequestValidationException } from '../common/validation-errors';
import {
  IDEMPOTENCY_KEY_HEADER,
  IDEMPOTENCY_KEY_MAX_LENGTH,
  IDEMPOTENCY_REPLAY_HEADER,
  IdempotencyKey,
} from '../idempotency/idempotency-key.decorator';
import {
  IDEMPOTENCY_KEY_TTL_SECONDS,
  IDEMPOTENCY_LEASE_SECONDS,
  IdempotencyService,
  IN_FLIGHT_RETRY_AFTER_SECONDS,
} from '../idempotency/idempotency.service';
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
import { API_EXAMPLES } from './messages.examples';
import { MessagesService } from './messages.service';

const idPipe = new ParseUUIDPipe({
  exceptionFactory: () => new RequestValidationException([{ field: 'id', reason: 'must be a UUID' }]),
});

const ApiMessageId = () =>
  ApiParam({
    name: 'id',
    description: 'The id of the message, as POST /messages answered it.',
    schema: { type: 'string', format: 'uuid', example: API_EXAMPLES.sent.id },
  });

/** A request's work is its recipients; anything that is not a list of them is one unit, refused by validation. */
const recipientCount = (body: unknown): number => {
  const recipients = (body as { recipients?: unknown } | null)?.recipients;
  return Array.isArray(recipients) ? Math.max(1, recipients.length) : 1;
};

const retryAfter = (seconds: number) => ({
  'Retry-After': { description: 'Seconds to wait before trying again.', schema: { type: 'integer', example: seconds } },
});

const replayHeader = {
  [IDEMPOTENCY_REPLAY_HEADER]: {
    description: `"true" when this is the stored answer to an earlier request with the same ${IDEMPOTENCY_KEY_HEADER}.`,
    schema: { type: 'string', enum: ['true'] },
  },
};

@ApiTags('messages')
@Controller('messages')
@ApiKeyAuth()
@ApiServiceUnavailableResponse({
  type: ApiErrorDto,
  description:
    'PostgreSQL is unreachable or restarting: send the request again after Retry-After. Repeating a POST is safe: ' +
    'identical messages are deduplicated.',
  headers: retryAfter(DATABASE_RETRY_AFTER_SECONDS),
  example: API_EXAMPLES.databaseUnavailable,
})
export class MessagesController {
  constructor(
    private readonly messages: MessagesService,
    private readonly idempotency: IdempotencyService,
    private readonly metrics: DispatchMetrics,
  ) {}

  @Post()
  @HttpCode(HttpStatus.ACCEPTED)
  @RouteConfig(admitByWork(recipientCount))
  @ApiOperation({
    summary: 'Queue a text for one or more recipients',
    description:
      'Stores one message per recipient, atomically, to be sent at send_at (or now). A recipient to whom this ' +
      'client already queued this exact body on this messenger (not cancelled) is not queued again: its entry ' +
      'is the existing message with "duplicate": true. Deduplication is per client: another client\'s messages ' +
      'never count.',
  })
  @ApiHeader({
    name: IDEMPOTENCY_KEY_HEADER,
    required: false,
    description:
      `Makes the request safe to retry: 1-${IDEMPOTENCY_KEY_MAX_LENGTH} printable ASCII characters, e.g. a UUID. ` +
      'The first request with a key runs; a retry with the same key and the same body gets the same answer ' +
      `again (status and body) with ${IDEMPOTENCY_REPLAY_HEADER}: true, and stores nothing. Keys are kept for ` +
      `${IDEMPOTENCY_KEY_TTL_SECONDS / 3600} hours. A request that fails (400, 5xx) does not keep its key: retry it ` +
      'with the same key. (Only if the database went away mid-request can the key stay taken, answering 409, ' +
      `for up to ${IDEMPOTENCY_LEASE_SECONDS} s.) Example: 5f1b7e5a-6c1d-4b8e-9a3f-2d4c6e8f0a1b`,
    // No `example` in the schema: Swagger UI fills it in on "Try it out", so every try would reuse one
    // key and the second, edited request would get 422 IDEMPOTENCY_KEY_REUSED.
    schema: { type: 'string', minLength: 1, maxLength: IDEMPOTENCY_KEY_MAX_LENGTH },
  })
  @ApiAcceptedResponse({
    type: CreateMessagesResponseDto,
    description: 'At least one message was queued.',
    headers: replayHeader,
    example: API_EXAMPLES.accepted,
  })
  @ApiOkResponse({
    type: CreateMessagesResponseDto,
    description: 'Every recipient already had this message.',
    headers: replayHeader,
    example: API_EXAMPLES.allDuplicates,
  })
  @ApiBadRequestResponse({
    type: ApiErrorDto,
    description: `Malformed JSON, a field that breaks a rule, or a malformed ${IDEMPOTENCY_KEY_HEADER}; nothing was stored.`,
    examples: API_EXAMPLES.createErrors,
  })
  @ApiConflictResponse({
    type: ApiErrorDto,
    description: `A request with this ${IDEMPOTENCY_KEY_HEADER} is still running: try again after Retry-After.`,
    headers: retryAfter(IN_FLIGHT_RETRY_AFTER_SECONDS),
    example: API_EXAMPLES.idempotencyKeyInFlight,
  })
  @ApiUnprocessableEntityResponse({
    type: ApiErrorDto,
    description: `This ${IDEMPOTENCY_KEY_HEADER} was used with a different request; nothing was stored.`,
    example: API_EXAMPLES.idempotencyKeyReused,
  })
  @ApiServiceUnavailableResponse({
    type: ApiErrorDto,
    description:
      'OVERLOADED: the service has as much work in flight as it takes (API_MAX_RECIPIENTS_IN_FLIGHT, ' +
      'API_MAX_BYTES_IN_FLIGHT), and refused this request before doing any of it. DATABASE_UNAVAILABLE: PostgreSQL ' +
      'is unreachable or restarting. Either way, send the request again after Retry-After: identical messages are ' +
      'deduplicated.',
    headers: retryAfter(OVERLOADED_RETRY_AFTER_SECONDS),
    examples: {
      overloaded: { summary: 'Too much work in flight', value: API_EXAMPLES.overloaded },
      databaseUnavailable: { summary: 'PostgreSQL is away', value: API_EXAMPLES.databaseUnavailable },
    },
  })
  async create(
    @Client() client: string,
    @Body() request: CreateMessageDto,
    @IdempotencyKey() idempotencyKey: string | undefined,
    @Res({ passthrough: true }) reply: FastifyReply,
  ): Promise<CreateMessagesResponseDto> {
    const answer = await this.idempotency.run(client, idempotencyKey, { operation: 'POST /messages', payload: request }, async () => {
      const stored = await this.messages.create(client, request);
      return {
        status: stored.every((entry) => entry.duplicate) ? HttpStatus.OK : HttpStatus.ACCEPTED,
        body: { messages: stored.map(({ message, duplicate }) => toAcceptedMessageDto(message, duplicate)) },
      };
    });
    reply.status(answer.status);
    if (answer.replayed) reply.header(IDEMPOTENCY_REPLAY_HEADER, 'true');
    else this.metrics.accepted(answer.body.messages);
    return answer.body;
  }

  @Get()
  @ApiOperation({ summary: 'List messages, newest first', description: 'Keyset pagination: pass next_cursor back as cursor.' })
  @ApiOkResponse({ type: MessagePageDto, example: API_EXAMPLES.page })
  @ApiBadRequestResponse({ type: ApiErrorDto, examples: API_EXAMPLES.listErrors })
  async list(@Client() client: string, @Query() query: ListMessagesQueryDto): Promise<MessagePageDto> {
    const page = await this.messages.list(client, query);
    return { items: page.items.map(toMessageDto), next_cursor: page.nextCursor };
  }

  @Get(':id/attempts')
  @ApiOperation({
    summary: 'The delivery attempts of a message',
    description: 'One entry per attempt, first to last, with the messenger’s answer: code, description, latency.',
  })
  @ApiMessageId()
  @ApiOkResponse({ type: AttemptListDto, example: API_EXAMPLES.attempts })
  @ApiBadRequestResponse({ type: ApiErrorDto, example: API_EXAMPLES.badId })
  @ApiNotFoundResponse({ type: ApiErrorDto, example: API_EXAMPLES.notFound })
  async listAttempts(@Client() client: string, @Param('id', idPipe) id: string): Promise<AttemptListDto> {
    return { items: (await this.messages.listAttempts(client, id)).map(toAttemptDto) };
  }

  @Post(':id/retry')
  @HttpCode(HttpStatus.ACCEPTED)
  @ApiOperation({
    summary: 'Retry a failed message',
    description:
      'Puts a failed message back in the queue: pending, due now, with a fresh retry budget (retries_count 0). ' +
      'Its attempt history is kept and its attempts continue from there.',
  })
  @ApiMessageId()
  @ApiAcceptedResponse({ type: MessageDto, example: API_EXAMPLES.requeued })
  @ApiBadRequestResponse({ type: ApiErrorDto, example: API_EXAMPLES.badId })
  @ApiNotFoundResponse({ type: ApiErrorDto, example: API_EXAMPLES.notFound })
  @ApiConflictResponse({ type: ApiErrorDto, description: 'The message is not failed.', example: API_EXAMPLES.notRetryable })
  async retry(@Client() client: string, @Param('id', idPipe) id: string): Promise<MessageDto> {
    return toMessageDto(await this.messages.retry(client, id));
  }

  @Delete(':id')
  @ApiOperation({
    summary: 'Cancel a pending message',
    description:
      'Only a pending message can be cancelled: once a worker has claimed it (sending), the cancel is refused, ' +
      'so a cancelled message is never sent. The message is kept, as cancelled, and the same body can be ' +
      'queued to the same recipient again.',
  })
  @ApiMessageId()
  @ApiOkResponse({ type: MessageDto, description: 'The message, now cancelled.', example: API_EXAMPLES.cancelled })
  @ApiBadRequestResponse({ type: ApiErrorDto, example: API_EXAMPLES.badId })
  @ApiNotFoundResponse({ type: ApiErrorDto, example: API_EXAMPLES.notFound })
  @ApiConflictResponse({
    type: ApiErrorDto,
    description: 'The message is sending, sent, failed or already cancelled; the message says which.',
    example: API_EXAMPLES.notCancellable,
  })
  async cancel(@Client() client: string, @Param('id', idPipe) id: string): Promise<MessageDto> {
    return toMessageDto(await this.messages.cancel(client, id));
  }

  @Get(':id')
  @ApiOperation({
    summary: 'One message, with its delivery status',
    description:
      'Its status, the retries and attempts spent, the latest error in the messenger’s words (last_error, ' +
      'last_error_code) and, once sent, the messenger’s own id for it (provider_message_id).',
  })
  @ApiMessageId()
  @ApiOkResponse({ type: MessageDto, example: API_EXAMPLES.sent })
  @ApiBadRequestResponse({ type: ApiErrorDto, example: API_EXAMPLES.badId })
  @ApiNotFoundResponse({ type: ApiErrorDto, example: API_EXAMPLES.notFound })
  async getById(@Client() client: string, @Param('id', idPipe) id: string): Promise<MessageDto> {
    return toMessageDto(await this.messages.getById(client, id));
  }
}
