import 'reflect-metadata';
import type { ArgumentMetadata } from '@nestjs/common';
import fc from 'fast-check';
import { ApiValidationPipe } from '../../common/api-validation.pipe';
import { RequestValidationException } from '../../common/validation-errors';
import { CreateMessageDto, MAX_RECIPIENTS } from './create-message.dto';

/**
 * The validation shortcut of POST /messages (CreateMessageDto's) is a faster road to the same place: over
 * generated requests, many of them wrong in one way or another, the pipe answers exactly what it answers
 * without the shortcut, the same DTO or the same field errors. Reproducible (fixed seed).
 */
// A subclass carries class-validator's and class-transformer's rules but not the shortcut (own metadata).
class WithoutShortcut extends CreateMessageDto {}
const pipe = new ApiValidationPipe();
const body = (metatype: ArgumentMetadata['metatype']): ArgumentMetadata => ({ type: 'body', metatype });

async function outcome(value: unknown, metatype: ArgumentMetadata['metatype']): Promise<unknown> {
  try {
    // The pipe may change what it is given: each road gets its own copy.
    return { accepted: await pipe.transform(structuredClone(value), body(metatype)) };
  } catch (error) {
    if (error instanceof RequestValidationException) return { refused: error.fieldErrors };
    throw error;
  }
}

/** Mostly what is usual, sometimes something odd: each rule gets its turn to be the one that refuses. */
const rarely = <T>(usual: fc.Arbitrary<T>, odd: fc.Arbitrary<T>) =>
  fc.oneof({ weight: 12, arbitrary: usual }, { weight: 1, arbitrary: odd });

/** A recipient on `provider`: mostly one of its valid forms, sometimes not. */
const on = (provider: string, valid: string[], invalid: string[]) =>
  fc.record({
    provider: fc.constant(provider),
    recipient: rarely(fc.constantFrom(...valid), fc.constantFrom(...invalid)),
  });

const recipient = rarely<unknown>(
  fc.oneof(
    on('telegram', ['123456789', '@Some_Channel', '-1001234567', '55', '7'], ['@x', 'abc']),
    on('whatsapp', ['+15551234567', '+442071838750', '+4915123456789'], ['15551234567', '+1']),
    on('viber', ['01234567890123456789AB==', 'user', 'another.user'], [' padded', '']),
  ),
  fc.oneof(
    fc.record({ provider: fc.constantFrom<unknown>('sms', 'Telegram', 7, null), recipient: fc.constant('123456789') }),
    fc.record({ provider: fc.constant('telegram'), recipient: fc.constantFrom<unknown>(123456789, null, ['1']) }),
    fc.record({ provider: fc.constant('telegram'), recipient: fc.constant('123456789'), extra: fc.constant(1) }),
    fc.record({ provider: fc.constant('telegram') }),
    fc.constantFrom<unknown>(null, 'telegram:1', 42, [], [{ provider: 'telegram', recipient: '1' }]),
  ),
);

const request = fc
  .record({
    body: rarely<unknown>(
      fc.constantFrom('Your order has shipped.', 'Ваш заказ отправлен', ' x '),
      fc.constantFrom('', ' \u200b ', 'a'.repeat(5000), 'a\u0000b', 42),
    ),
    recipients: fc.oneof(
      {
        weight: 10,
        arbitrary: fc.uniqueArray(recipient, { minLength: 1, maxLength: 8, selector: (item) => JSON.stringify(item) }),
      },
      // Where a recipient may well come twice.
      { weight: 2, arbitrary: fc.array(recipient, { minLength: 2, maxLength: 8 }) },
      { weight: 1, arbitrary: fc.constantFrom<unknown>([], 'telegram', null) },
    ),
    send_at: rarely(
      fc.constantFrom(undefined, null, '2026-12-01T09:00:00+03:00'),
      fc.constantFrom('2026-12-01 09:00', '2099-01-01T00:00:00Z'),
    ),
    callback_url: rarely(
      fc.constantFrom(undefined, null, 'https://crm.example.com/hooks'),
      fc.constantFrom('ftp://x', 'https://u:p@x.com/'),
    ),
    zz: rarely(fc.constant(undefined), fc.constant(1)),
  })
  // A field left undefined is a field left out, as in JSON.
  .map((value) => Object.fromEntries(Object.entries(value).filter(([, field]) => field !== undefined)));

describe('POST /messages validation shortcut', () => {
  it('answers every request as validation without it does', async () => {
    const seen = { accepted: 0, refused: 0 };
    await fc.assert(
      fc.asyncProperty(request, async (value) => {
        const answer = await outcome(value, WithoutShortcut);
        expect(await outcome(value, CreateMessageDto)).toEqual(answer);
        seen['accepted' in (answer as object) ? 'accepted' : 'refused']++;
      }),
      { seed: 20261202, numRuns: 600 },
    );
    // Both roads were taken often enough to mean something.
    expect(seen.accepted).toBeGreaterThan(100);
    expect(seen.refused).toBeGreaterThan(100);
  });

  it('takes a plainly valid list of recipients, normalised as the transform normalises them', async () => {
    const value = {
      body: 'Hi',
      recipients: [
        { provider: 'telegram', recipient: '@Some_Channel' },
        { provider: 'whatsapp', recipient: '+15551234567' },
        { provider: 'telegram', recipient: '123456789' },
      ],
    };
    const accepted = (await pipe.transform(structuredClone(value), body(CreateMessageDto))) as CreateMessageDto;
    expect(accepted).toBeInstanceOf(CreateMessageDto);
    expect(accepted).toEqual(await pipe.transform(structuredClone(value), body(WithoutShortcut)));
    expect(accepted.recipients).toHaveLength(3);
  });

  it.each([
    ['takes', MAX_RECIPIENTS],
    ['refuses', MAX_RECIPIENTS + 1],
  ])('%s a list of %d recipients as validation without it does', async (_, count) => {
    const recipients = Array.from({ length: count }, (__, i) => ({
      provider: 'telegram',
      recipient: String(1000 + i),
    }));
    const value = { body: 'Hi', recipients };
    expect(await outcome(value, CreateMessageDto)).toEqual(await outcome(value, WithoutShortcut));
  });
});
