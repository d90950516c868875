import { ApiProperty, ApiSchema } from '@nestjs/swagger';
import { OTHER_EXAMPLE_MESSENGER, recipientKind } from '../providers/messenger-docs';
import { ERROR_CODE_NAMES, ERROR_CODES, type ErrorCode } from './error-codes';

const BAD_RECIPIENT = `is not a valid ${OTHER_EXAMPLE_MESSENGER.name} recipient`;

/** One reason a request was refused. */
export class FieldErrorDto {
  // Declared with @ApiProperty, as `reason` is, so that the document lists it first.
  @ApiProperty({
    description: 'Path of the offending field in the request, e.g. `recipients[1].recipient`.',
    example: 'recipients[1].recipient',
  })
  field: string;
  @ApiProperty({
    description: 'Why it was refused.',
    example: `${BAD_RECIPIENT}: expected ${recipientKind(OTHER_EXAMPLE_MESSENGER)}`,
  })
  reason: string;
}

@ApiSchema({
  description:
    'Every error the API answers has this shape. `code` is stable and machine-readable: switch on it, not on the ' +
    `message.\n\n${Object.entries(ERROR_CODES)
      .map(([code, { status, meaning }]) => `- \`${code}\` (${status}): ${meaning}`)
      .join('\n')}`,
})
export class ApiErrorDto {
  /** The HTTP status, repeated for clients that only look at the body. @example 400 */
  @ApiProperty({ type: 'integer' })
  statusCode: number;

  // No description here: @nestjs/swagger would copy it into the ErrorCode schema as well. The class's lists the codes.
  @ApiProperty({ enum: ERROR_CODE_NAMES, enumName: 'ErrorCode', example: 'VALIDATION_FAILED' })
  code: ErrorCode;

  @ApiProperty({ description: 'Human-readable summary.', example: `recipients[1].recipient: ${BAD_RECIPIENT}` })
  message: string;

  /** Each field (or header) at fault, when the error is about fields. */
  errors?: FieldErrorDto[];
}
