import { applyDecorators, HttpStatus } from '@nestjs/common';
import { ApiOperation, ApiParam } from '@nestjs/swagger';
import { ApiErrorResponse, ApiExampleResponse } from '../common/api-docs';
import { EXAMPLE_MESSAGE_ID, MESSAGE_EXAMPLES } from '../messages/messages.examples';
import { CALLBACK_EXAMPLES } from './callbacks.examples';
import { CallbackAttemptListDto } from './dto/callback-attempt.dto';

// The OpenAPI documentation of each route of CallbacksController, beside it.

/** GET /messages/:id/callbacks */
export const ApiListCallbackAttempts = () =>
  applyDecorators(
    ApiOperation({
      summary: 'The callback deliveries of a message',
      description:
        'One entry per attempt to deliver one of the message’s status callbacks (message.sent, message.failed, ' +
        'message.cancelled), oldest first: the event (its id is the webhook-id header), when, the receiver’s ' +
        'status code (null when it gave none), why it failed, and how long it took. Empty when the message has no ' +
        'callback_url or no event has been attempted yet.',
    }),
    ApiParam({
      name: 'id',
      description: 'The id of the message, as POST /messages answered it.',
      schema: { type: 'string', format: 'uuid', example: EXAMPLE_MESSAGE_ID },
    }),
    ApiExampleResponse({
      status: HttpStatus.OK,
      type: CallbackAttemptListDto,
      description: 'Its callback attempts.',
      examples: [CALLBACK_EXAMPLES.attempts],
    }),
    ApiErrorResponse({ status: 400, description: 'The id is not a UUID.', examples: [MESSAGE_EXAMPLES.badId] }),
    ApiErrorResponse({
      status: 404,
      description: 'No message has this id, or it is another client’s.',
      examples: [MESSAGE_EXAMPLES.notFound],
    }),
  );
