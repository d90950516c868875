import { applyDecorators, HttpStatus } from '@nestjs/common';
import { ApiOperation, ApiParam, ApiProperty } from '@nestjs/swagger';
import { apiErrorExample, apiExample, ApiErrorResponse, ApiExampleResponse } from '../../common/api-docs';
import { EXAMPLE_MESSAGE_ID } from '../../messages/messages.examples';
import { EXAMPLE_MESSENGER } from '../messenger-docs';
import { MESSENGER_NAMES } from '../messengers';

// The OpenAPI documentation of EmulatorInboxController's route, beside it: its answer's schema (the Swagger
// CLI plugin reads only *.dto.ts files, so these classes declare their schema themselves), examples and
// decorators.

export class InboxDeliveryDto {
  @ApiProperty({
    description: 'Our message id, as the idempotency key of the send.',
    format: 'uuid',
    example: EXAMPLE_MESSAGE_ID,
  })
  idempotency_key: string;

  @ApiProperty({ example: '123456789' })
  recipient: string;

  @ApiProperty({ example: 'Your order #1042 has shipped.' })
  body: string;

  @ApiProperty({ description: 'The id the messenger gave the message.', example: '52817' })
  provider_message_id: string;

  @ApiProperty({
    description: 'When the messenger accepted it.',
    format: 'date-time',
    example: '2026-12-01T06:00:01.412Z',
  })
  accepted_at: string;
}

export class InboxDto {
  @ApiProperty({
    description: 'What the messenger accepted, newest first: one entry per delivery.',
    type: [InboxDeliveryDto],
  })
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
    `provider: must be one of: ${MESSENGER_NAMES.join(', ')}`,
    { field: 'provider', reason: `must be one of: ${MESSENGER_NAMES.join(', ')}` },
  ),
};

/** GET /emulators/:provider/inbox */
export const ApiListInbox = () =>
  applyDecorators(
    ApiOperation({
      summary: 'What an emulated messenger accepted of your messages, newest first',
      description:
        'The receiving side of an emulated messenger: one entry per delivery it accepted of the calling client’s ' +
        'messages, with the idempotency key it was sent with (the message id), so a client team can see what ' +
        'actually arrived. Other clients’ deliveries are never shown.',
    }),
    ApiParam({
      name: 'provider',
      description: 'The emulated messenger.',
      enum: MESSENGER_NAMES,
      example: EXAMPLE_MESSENGER.name,
    }),
    ApiExampleResponse({
      status: HttpStatus.OK,
      type: InboxDto,
      description: 'Its deliveries.',
      examples: [INBOX_EXAMPLES.deliveries],
    }),
    ApiErrorResponse({
      status: 400,
      description: 'An unknown messenger, or a query parameter that breaks a rule.',
      examples: [INBOX_EXAMPLES.unknownMessenger],
    }),
  );
