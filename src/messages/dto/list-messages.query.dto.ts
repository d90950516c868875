import { ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import { IsIn, IsInt, IsOptional, IsString, IsUUID, Matches, Max, MaxLength, Min } from 'class-validator';
import { ApiPropertyInPlace } from '../../common/api-property-in-place';
import { MESSAGE_STATUSES, type MessageStatus } from '../message-status';
import { MESSENGER_NAMES, RECIPIENT_SPELLING_NOTES, type MessengerName } from '../../providers/messengers';

export class ListMessagesQueryDto {
  /** Only messages in this status. */
  @IsOptional()
  @IsIn(MESSAGE_STATUSES, { message: `must be one of: ${MESSAGE_STATUSES.join(', ')}` })
  status?: MessageStatus;

  /** Only messages on this messenger. */
  @IsOptional()
  @IsIn(MESSENGER_NAMES, { message: `must be one of: ${MESSENGER_NAMES.join(', ')}` })
  provider?: MessengerName;

  @ApiPropertyInPlace({
    description: `Only messages to this recipient, as the messenger spells it: ${RECIPIENT_SPELLING_NOTES.join('; ')}.`,
  })
  // PostgreSQL text cannot hold U+0000: compared with it, the query would fail (a 500) rather than match nothing.
  @Matches(/^[^\u0000]*$/, { message: 'must not contain the NUL character (\\u0000)' })
  @MaxLength(64)
  @IsString()
  @IsOptional()
  recipient?: string;

  /** Page size, 1-100. */
  @ApiPropertyOptional({ type: 'integer' })
  // Checked bottom-up, first failure reported: "abc" is "must be an integer", not "must not be greater than 100".
  @Max(100)
  @Min(1)
  @IsInt()
  @IsOptional()
  @Type(() => Number)
  limit: number = 50;

  /** next_cursor of the previous page. */
  @IsOptional()
  @IsUUID('all', { message: 'must be a next_cursor from an earlier page' })
  cursor?: string;
}
