import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  ArrayMinSize,
  IsArray,
  IsIn,
  IsOptional,
  IsString,
  Matches,
  ValidateNested,
} from 'class-validator';
import { PROVIDER_NAMES, type ProviderName } from '../../providers/messengers';
import {
  FitsEveryMessenger,
  HasDistinctRecipients,
  IsRecipientOfProvider,
  IsWithinAYear,
  IsZonedDateTime,
} from './message.validators';

export const MAX_RECIPIENTS = 1000;

/** One addressee: who, on which messenger. */
export class RecipientDto {
  /**
   * The messenger to deliver on.
   * @example "telegram"
   */
  @IsIn(PROVIDER_NAMES, { message: `must be one of: ${PROVIDER_NAMES.join(', ')}` })
  provider: ProviderName;

  /**
   * The user on that messenger. Telegram: integer chat id or @username (5-32 word characters);
   * WhatsApp: E.164 phone number (+ and 8-15 digits); Viber: opaque user id (1-64 printable characters).
   * @example "123456789"
   */
  @IsString()
  @IsRecipientOfProvider()
  recipient: string;
}

/** Send one text to one or more recipients, now or at send_at. */
export class CreateMessageDto {
  /**
   * The text. At most 4096 characters for Telegram and WhatsApp, 7000 for Viber.
   * @example "Your order #1042 has shipped."
   */
  @IsString()
  @Matches(/\S/, { message: 'must not be blank' })
  @FitsEveryMessenger('recipients')
  body: string;

  /** 1 to 1000 recipients, each provider + recipient pair at most once. */
  @IsArray()
  @ArrayMinSize(1, { message: 'must list at least one recipient' })
  @ArrayMaxSize(MAX_RECIPIENTS, { message: `must list at most ${MAX_RECIPIENTS} recipients` })
  @HasDistinctRecipients()
  @ValidateNested({ each: true })
  @Type(() => RecipientDto)
  recipients: RecipientDto[];

  /**
   * When to send, ISO 8601 with a time zone, at most a year ahead. Omitted or in the past: now.
   * @example "2026-12-01T09:00:00+03:00"
   */
  @IsOptional()
  @IsZonedDateTime()
  @IsWithinAYear()
  send_at?: string;
}
