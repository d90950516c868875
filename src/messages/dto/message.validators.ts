import type { ValidationArguments, ValidationOptions } from 'class-validator';
import { isISO8601, registerDecorator } from 'class-validator';
import { callbackUrlProblem } from '../../callbacks/callback-address';
import type { MessengerName } from '../../providers/messengers';
import { characterCount, isMessengerName, MESSENGER_RULES } from '../../providers/messengers';
import { canonicalBody } from '../canonical-body';

/** The rules that depend on the messenger: they read a sibling property, which class-validator's built-ins can't. */

interface RecipientLike {
  provider?: unknown;
  recipient?: unknown;
}

function constraint(
  name: string,
  validate: (value: unknown, args: ValidationArguments) => boolean,
  message: (args: ValidationArguments) => string,
  options?: ValidationOptions,
): PropertyDecorator {
  return (target, propertyName) =>
    registerDecorator({
      name,
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message, ...options },
      validator: { validate },
    });
}

/** The recipient has the form its messenger uses (see MESSENGER_RULES). */
export function IsRecipientOfProvider(): PropertyDecorator {
  const providerOf = (args: ValidationArguments) => (args.object as RecipientLike).provider;
  return constraint(
    'isRecipientOfProvider',
    (value, args) => {
      const provider = providerOf(args);
      // An unknown provider is reported on its own field; there is no format to check against.
      if (!isMessengerName(provider)) return true;
      return typeof value === 'string' && MESSENGER_RULES[provider].recipientPattern.test(value);
    },
    (args) => {
      const provider = providerOf(args) as MessengerName;
      return `is not a valid ${provider} recipient: expected ${MESSENGER_RULES[provider].recipientFormat}`;
    },
  );
}

/** The body is no longer than every messenger it goes to allows. */
export function FitsEveryMessenger(recipientsProperty: string): PropertyDecorator {
  const tooShortFor = (body: unknown, args: ValidationArguments): MessengerName[] => {
    const recipients = (args.object as Record<string, unknown>)[recipientsProperty];
    if (typeof body !== 'string' || !Array.isArray(recipients)) return [];
    const providers = new Set(recipients.map((r: RecipientLike) => r?.provider).filter(isMessengerName));
    const length = characterCount(body);
    return [...providers].filter((provider) => length > MESSENGER_RULES[provider].maxBodyLength);
  };
  return constraint(
    'fitsEveryMessenger',
    (body, args) => tooShortFor(body, args).length === 0,
    (args) => {
      const limits = tooShortFor(args.value, args).map((p) => `${p} allows ${MESSENGER_RULES[p].maxBodyLength}`);
      return `is ${characterCount(args.value as string)} characters, longer than ${limits.join(', ')}`;
    },
  );
}

/** Every item is a plain object (class-validator's nested validation lets arrays and nulls through). */
export function HasOnlyObjects(what: string): PropertyDecorator {
  const firstBad = (value: unknown): number =>
    Array.isArray(value)
      ? value.findIndex((item) => typeof item !== 'object' || item === null || Array.isArray(item))
      : -1;
  return constraint(
    'hasOnlyObjects',
    (value) => firstBad(value) === -1,
    (args) => `item ${firstBad(args.value)} must be ${what}`,
  );
}

/** No provider + recipient pair appears twice in one request. */
export function HasDistinctRecipients(): PropertyDecorator {
  const repeated = (value: unknown): string[] => {
    if (!Array.isArray(value)) return [];
    const seen = new Set<string>();
    const twice = new Set<string>();
    for (const item of value as RecipientLike[]) {
      const key = `${String(item?.provider)}:${String(item?.recipient)}`;
      (seen.has(key) ? twice : seen).add(key);
    }
    return [...twice];
  };
  return constraint(
    'hasDistinctRecipients',
    (value) => repeated(value).length === 0,
    (args) => `lists ${repeated(args.value).join(', ')} more than once`,
  );
}

const ZONED_DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/i;

/** An ISO 8601 date and time with an explicit zone: "09:00" alone would mean a different instant per server. */
export function IsZonedDateTime(): PropertyDecorator {
  return constraint(
    'isZonedDateTime',
    (value) => typeof value === 'string' && ZONED_DATE_TIME.test(value) && isISO8601(value, { strict: true }),
    () => 'must be an ISO 8601 date and time with a time zone, e.g. 2026-12-01T09:00:00+03:00',
  );
}

/** Not more than a year ahead: a date that far out is almost always a mistake (a wrong year). */
export function IsWithinAYear(): PropertyDecorator {
  return constraint(
    'isWithinAYear',
    (value) => {
      if (typeof value !== 'string') return true;
      const limit = new Date();
      limit.setUTCFullYear(limit.getUTCFullYear() + 1);
      return !(Date.parse(value) > limit.getTime());
    },
    () => 'must not be more than a year ahead',
  );
}

/**
 * Something a reader would see: not empty once the body is in its canonical form (canonical-body.ts), so that
 * zero-width spaces, a byte-order mark and whitespace alone are blank too, and every accepted body has a
 * non-empty dedup form.
 */
export function HasVisibleText(): PropertyDecorator {
  return constraint(
    'hasVisibleText',
    (value) => typeof value === 'string' && canonicalBody(value) !== '',
    () => 'must not be blank',
  );
}

/**
 * A URL that could receive callbacks at all: http or https, not too long, no credentials. Whether its
 * address may (which depends on CALLBACK_ALLOW_PRIVATE_NETWORKS and on DNS) is CallbackPolicy's check.
 */
export function IsCallbackUrl(): PropertyDecorator {
  const problem = (value: unknown) =>
    typeof value === 'string' ? callbackUrlProblem(value, { allowPrivate: true }) : null;
  return constraint(
    'isCallbackUrl',
    (value) => problem(value) === null,
    (args) => problem(args.value) ?? 'must be a URL',
  );
}
