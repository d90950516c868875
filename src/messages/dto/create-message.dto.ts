import { Transform, Type } from 'class-transformer';
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
import { normalizeRecipient, PROVIDER_NAMES, type ProviderName } from '../../providers/messengers';
import {
  FitsEveryMessenger,
  HasDistinctRecipients,
  HasOnlyObjects,
  IsRecipientOfProvider,
  IsWithinAYear,
  IsZonedDateTime,
} from './message.validators';

export const MAX_RECIPIENTS = 1000;

// Each field reports only its first broken rule, and class-validator checks a field's decorators from the
// bottom up: the type check therefore sits last, next to the property, so that a number for `body` is
// "must be a string" rather than "must not be blank".

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
  @IsRecipientOfProvider()
  @IsString()
  @Transform(({ value, obj }) => normalizeRecipient((obj as { provider?: unknown }).provider, value))
  recipient: string;
}

/** Send one text to one or more recipients, now or at send_at. */
export class CreateMessageDto {
  /**
   * The text. At most 4096 characters for Telegram and WhatsApp, 7000 for Viber.
   * @example "Your order #1042 has shipped."
   */
  @FitsEveryMessenger('recipients')
  // PostgreSQL text cannot hold U+0000.
  @Matches(/^[^\u0000]*$/, { message: 'must not contain the NUL character (\\u0000)' })
  @Matches(/\S/, { message: 'must not be blank' })
  @IsString()
  body: string;

  /** 1 to 1000 recipients, each provider + recipient pair at most once. */
  @ValidateNested({ each: true })
  @HasDistinctRecipients()
  @HasOnlyObjects('an object with provider and recipient')
  @ArrayMaxSize(MAX_RECIPIENTS, { message: `must list at most ${MAX_RECIPIENTS} recipients` })
  @ArrayMinSize(1, { message: 'must list at least one recipient' })
  @IsArray()
  @Type(() => RecipientDto)
  recipients: RecipientDto[];

  /**
   * When to send, ISO 8601 with a time zone, at most a year ahead. Omitted or in the past: now.
   * @example "2026-12-01T09:00:00+03:00"
   */
  @IsWithinAYear()
  @IsZonedDateTime()
  @IsOptional()
  send_at?: string | null;
}
