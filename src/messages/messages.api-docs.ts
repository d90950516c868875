import { applyDecorators, HttpStatus } from '@nestjs/common';
import { ApiHeader, ApiOperation, ApiParam } from '@nestjs/swagger';
import { ApiErrorResponse, ApiExampleResponse, retryAfterHeader } from '../common/api-docs';
import {
  IDEMPOTENCY_KEY_HEADER,
  IDEMPOTENCY_KEY_MAX_LENGTH,
  IDEMPOTENCY_REPLAY_HEADER,
} from '../idempotency/idempotency-key.decorator';
import {
  IDEMPOTENCY_KEY_TTL_SECONDS,
  IDEMPOTENCY_LEASE_SECONDS,
  IN_FLIGHT_RETRY_AFTER_SECONDS,
} from '../idempotency/idempotency.service';
import { AttemptListDto, CreateMessagesResponseDto, MessageDto, MessagePageDto } from './dto/message.dto';
import { EXAMPLE_MESSAGE_ID, MESSAGE_EXAMPLES } from './messages.examples';

// The OpenAPI documentation of each route of MessagesController, beside it.

const ApiMessageId = () =>
  ApiParam({
    name: 'id',
    description: 'The id of the message, as POST /messages answered it.',
    schema: { type: 'string', format: 'uuid', example: EXAMPLE_MESSAGE_ID },
  });

const notFound = () =>
  ApiErrorResponse({
    status: 404,
    description: 'No message has this id, or it is another client’s.',
    examples: [MESSAGE_EXAMPLES.notFound],
  });
const badId = () =>
  ApiErrorResponse({ status: 400, description: 'The id is not a UUID.', examples: [MESSAGE_EXAMPLES.badId] });

const replayHeader = {
  [IDEMPOTENCY_REPLAY_HEADER]: {
    description: `"true" when this is the stored answer to an earlier request with the same ${IDEMPOTENCY_KEY_HEADER}.`,
    schema: { type: 'string', enum: ['true'] },
  },
};

/** POST /messages */
export const ApiCreateMessage = () =>
  applyDecorators(
    ApiOperation({
      summary: 'Queue a text for one or more recipients',
      description:
        'Stores one message per recipient, atomically, to be sent at send_at (or now). A recipient to whom this ' +
        'client already queued this body on this messenger (not cancelled) is not queued again: its entry is the ' +
        'existing message with "duplicate": true. Bodies are compared as a reader sees them: after Unicode NFC, ' +
        'with CRLF and CR as LF, without whitespace at the end of each line and of the text, and without ' +
        'U+200B, U+2060 and U+FEFF; the body stored and delivered is the one sent. Deduplication is per client: ' +
        "another client's messages never count.",
    }),
    ApiHeader({
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
    }),
    ApiExampleResponse({
      status: HttpStatus.ACCEPTED,
      type: CreateMessagesResponseDto,
      description: 'At least one message was queued.',
      headers: replayHeader,
      examples: [MESSAGE_EXAMPLES.queued],
    }),
    ApiExampleResponse({
      status: HttpStatus.OK,
      type: CreateMessagesResponseDto,
      description: 'Every recipient already had this message.',
      headers: replayHeader,
      examples: [MESSAGE_EXAMPLES.allDuplicates],
    }),
    ApiErrorResponse({
      status: 400,
      description: `Malformed JSON, a field that breaks a rule, or a malformed ${IDEMPOTENCY_KEY_HEADER}; nothing was stored.`,
      examples: MESSAGE_EXAMPLES.createErrors,
    }),
    ApiErrorResponse({
      status: 409,
      description: `A request with this ${IDEMPOTENCY_KEY_HEADER} is still running: try again after Retry-After.`,
      headers: retryAfterHeader(IN_FLIGHT_RETRY_AFTER_SECONDS),
      examples: [MESSAGE_EXAMPLES.idempotencyKeyInFlight],
    }),
    ApiErrorResponse({
      status: 422,
      description: `This ${IDEMPOTENCY_KEY_HEADER} was used with a different request; nothing was stored.`,
      examples: [MESSAGE_EXAMPLES.idempotencyKeyReused],
    }),
  );

/** GET /messages */
export const ApiListMessages = () =>
  applyDecorators(
    ApiOperation({
      summary: 'List messages, newest first',
      description: 'Keyset pagination: pass next_cursor back as cursor.',
    }),
    ApiExampleResponse({
      status: HttpStatus.OK,
      type: MessagePageDto,
      description: 'A page of messages.',
      examples: [MESSAGE_EXAMPLES.page],
    }),
    ApiErrorResponse({
      status: 400,
      description: 'A query parameter breaks a rule, or the cursor is unknown.',
      examples: MESSAGE_EXAMPLES.listErrors,
    }),
  );

/** GET /messages/:id/attempts */
export const ApiListAttempts = () =>
  applyDecorators(
    ApiOperation({
      summary: 'The delivery attempts of a message',
      description: 'One entry per attempt, first to last, with the messenger’s answer: code, description, latency.',
    }),
    ApiMessageId(),
    ApiExampleResponse({
      status: HttpStatus.OK,
      type: AttemptListDto,
      description: 'Its attempts.',
      examples: [MESSAGE_EXAMPLES.attempts],
    }),
    badId(),
    notFound(),
  );

/** POST /messages/:id/retry */
export const ApiRetryMessage = () =>
  applyDecorators(
    ApiOperation({
      summary: 'Retry a failed message',
      description:
        'Puts a failed message back in the queue: pending, due now, with a fresh retry budget (retries_count 0). ' +
        'Its attempt history is kept and its attempts continue from there.',
    }),
    ApiMessageId(),
    ApiExampleResponse({
      status: HttpStatus.ACCEPTED,
      type: MessageDto,
      description: 'The message, pending again.',
      examples: [MESSAGE_EXAMPLES.requeued],
    }),
    badId(),
    notFound(),
    ApiErrorResponse({
      status: 409,
      description: 'The message is not failed.',
      examples: [MESSAGE_EXAMPLES.notRetryable],
    }),
  );

/** DELETE /messages/:id */
export const ApiCancelMessage = () =>
  applyDecorators(
    ApiOperation({
      summary: 'Cancel a pending message',
      description:
        'Only a pending message can be cancelled: once a worker has claimed it (sending), the cancel is refused, ' +
        'so a cancelled message is never sent. The message is kept, as cancelled, and the same body can be ' +
        'queued to the same recipient again.',
    }),
    ApiMessageId(),
    ApiExampleResponse({
      status: HttpStatus.OK,
      type: MessageDto,
      description: 'The message, now cancelled.',
      examples: [MESSAGE_EXAMPLES.cancelled],
    }),
    badId(),
    notFound(),
    ApiErrorResponse({
      status: 409,
      description: 'The message is sending, sent, failed or already cancelled; the message says which.',
      examples: [MESSAGE_EXAMPLES.notCancellable],
    }),
  );

/** GET /messages/:id */
export const ApiGetMessage = () =>
  applyDecorators(
    ApiOperation({
      summary: 'One message, with its delivery status',
      description:
        'Its status, the retries and attempts spent, the latest error in the messenger’s words (last_error, ' +
        'last_error_code) and, once sent, the messenger’s own id for it (provider_message_id).',
    }),
    ApiMessageId(),
    ApiExampleResponse({
      status: HttpStatus.OK,
      type: MessageDto,
      description: 'The message.',
      examples: [MESSAGE_EXAMPLES.sent],
    }),
    badId(),
    notFound(),
  );
