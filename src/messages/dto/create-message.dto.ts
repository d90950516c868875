import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
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
import { MAX_CALLBACK_URL_LENGTH } from '../../callbacks/callback-address';
import { EXAMPLE_MESSENGER, RECIPIENT_RULES_TEXT } from '../../providers/messenger-docs';
import {
  isMessengerName,
  MESSENGER_NAMES,
  MESSENGER_RULES,
  MESSENGERS,
  normalizeRecipient,
  type MessengerName,
} from '../../providers/messengers';
import { type ValidationShortcut, ValidatesWith } from '../../common/validation-shortcut';
import {
  FitsEveryMessenger,
  HasDistinctRecipients,
  HasOnlyObjects,
  HasVisibleText,
  IsCallbackUrl,
  IsRecipientOfProvider,
  IsWithinAYear,
  IsZonedDateTime,
} from './message.validators';

export const MAX_RECIPIENTS = 1000;

/** The longest body any messenger takes, and "4096 characters for a and b, 7000 for c". */
const BODY_LIMITS = (() => {
  const providersByLimit = new Map<number, MessengerName[]>();
  for (const { name, maxBodyLength: limit } of MESSENGERS) {
    providersByLimit.set(limit, [...(providersByLimit.get(limit) ?? []), name]);
  }
  const limits = [...providersByLimit].sort(([a], [b]) => a - b);
  return {
    max: Math.max(...providersByLimit.keys()),
    text: limits.map(([limit, providers]) => `${limit} characters for ${providers.join(' and ')}`).join(', '),
  };
})();

// Each field reports only its first broken rule, and class-validator checks a field's decorators from the
// bottom up: the type check therefore sits last, next to the property, so that a number for `body` is
// "must be a string" rather than "must not be blank".

/** One addressee: who, on which messenger. */
export class RecipientDto {
  /**
   * The messenger to deliver on.
   * @example "the list's first"
   */
  // The example is the list's first messenger (below); the tag above holds its place in the document.
  @ApiProperty({ example: EXAMPLE_MESSENGER.name })
  @IsIn(MESSENGER_NAMES, { message: `must be one of: ${MESSENGER_NAMES.join(', ')}` })
  provider: MessengerName;

  @ApiProperty({ description: RECIPIENT_RULES_TEXT, example: EXAMPLE_MESSENGER.example.recipient })
  @IsRecipientOfProvider()
  @IsString()
  @Transform(({ value, obj }) => normalizeRecipient((obj as { provider?: unknown }).provider, value))
  recipient: string;
}

/**
 * A recipient as RecipientDto's rules and transform would leave it, or undefined if they would refuse it (or
 * class-validator should say why): exactly `provider` and `recipient`, a known messenger, and a recipient of
 * its form once normalised.
 */
function plainRecipient(item: unknown): RecipientDto | undefined {
  if (typeof item !== 'object' || item === null || Array.isArray(item)) return undefined;
  const { provider, recipient } = item as Record<string, unknown>;
  // With both present, two keys are exactly these two.
  if (!isMessengerName(provider) || typeof recipient !== 'string' || Object.keys(item).length !== 2) return undefined;
  const normalized = normalizeRecipient(provider, recipient) as string;
  if (!MESSENGER_RULES[provider].recipientPattern.test(normalized)) return undefined;
  const dto = new RecipientDto();
  dto.provider = provider;
  dto.recipient = normalized;
  return dto;
}

/**
 * CreateMessageDto's validation shortcut (ValidationShortcut): the recipients are checked here, and
 * class-validator sees the request with one recipient per messenger it names, which is all that the rules on
 * `body` and on the list as a whole read. A list with a recipient that is not plainly valid, or listed
 * twice, or too long, is left to class-validator whole.
 */
const CREATE_MESSAGE_SHORTCUT: ValidationShortcut = {
  sample(value) {
    const list = (value as { recipients?: unknown } | null)?.recipients;
    if (!Array.isArray(list) || list.length < 2 || list.length > MAX_RECIPIENTS) return undefined;
    const recipients: RecipientDto[] = [];
    const seen = new Set<string>();
    const firstOnEach = new Map<MessengerName, unknown>();
    for (const item of list) {
      const recipient = plainRecipient(item);
      if (recipient === undefined) return undefined;
      const key = `${recipient.provider}:${recipient.recipient}`;
      if (seen.has(key)) return undefined;
      seen.add(key);
      recipients.push(recipient);
      if (!firstOnEach.has(recipient.provider)) firstOnEach.set(recipient.provider, item);
    }
    return {
      sample: { ...(value as object), recipients: [...firstOnEach.values()] },
      complete: (validated) => Object.assign(validated, { recipients }),
    };
  },
};

/** Send one text to one or more recipients, now or at send_at. */
@ValidatesWith(CREATE_MESSAGE_SHORTCUT)
export class CreateMessageDto {
  @ApiProperty({
    description:
      `The text: at most ${BODY_LIMITS.text} (Unicode code points), and it must fit every messenger it goes to; ` +
      'not blank.',
    minLength: 1,
    maxLength: BODY_LIMITS.max,
    example: 'Your order #1042 has shipped.',
  })
  @FitsEveryMessenger('recipients')
  // PostgreSQL text cannot hold U+0000.
  @Matches(/^[^\u0000]*$/, { message: 'must not contain the NUL character (\\u0000)' })
  @HasVisibleText()
  @IsString()
  body: string;

  @ApiProperty({
    // The type spelled out: SWC (the tests' compiler) reflects a bare Array, and nothing would fill in the items.
    type: () => [RecipientDto],
    description: `1 to ${MAX_RECIPIENTS} recipients, each provider + recipient pair at most once.`,
    minItems: 1,
    maxItems: MAX_RECIPIENTS,
    uniqueItems: true,
  })
  @ValidateNested({ each: true })
  @HasDistinctRecipients()
  @HasOnlyObjects('an object with provider and recipient')
  @ArrayMaxSize(MAX_RECIPIENTS, { message: `must list at most ${MAX_RECIPIENTS} recipients` })
  @ArrayMinSize(1, { message: 'must list at least one recipient' })
  @IsArray()
  @Type(() => RecipientDto)
  recipients: RecipientDto[];

  /**
   * When to send, ISO 8601 with a time zone, at most a year ahead. Omitted, null or in the past: now.
   * @example "2026-12-01T09:00:00+03:00"
   */
  // The type spelled out: for `string | null`, SWC (the tests' compiler) reflects Object where tsc reflects String.
  @ApiPropertyOptional({ type: String, format: 'date-time' })
  @IsWithinAYear()
  @IsZonedDateTime()
  @IsOptional()
  send_at?: string | null;

  /**
   * Where to POST this message's terminal states (message.sent, message.failed, message.cancelled), signed
   * per Standard Webhooks with the client's callback secret: an http or https URL, at most 2048 characters,
   * no user name or password, whose host is not (and does not resolve to) a loopback, private, link-local
   * or cloud metadata address. Omitted or null: the client's default callback URL, if it has one. Needs a
   * callback secret configured for the client.
   * @example "https://crm.example.com/hooks/messages"
   */
  @ApiPropertyOptional({ type: String, format: 'uri', maxLength: MAX_CALLBACK_URL_LENGTH })
  @IsCallbackUrl()
  @IsString()
  @IsOptional()
  callback_url?: string | null;
}
