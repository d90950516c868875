import type { ArgumentMetadata } from '@nestjs/common';
import { ValidationPipe } from '@nestjs/common';
import type { FieldErrorDto } from './api-error.dto';
import { forEachField } from './request-fields';
import { RequestValidationException, toFieldErrors } from './validation-errors';
import { validationShortcutOf } from './validation-shortcut';

/**
 * Nest's ValidationPipe with the API's options (the API and the emulator server both use it), which also
 * refuses keys named like the members every object inherits (constructor, toString, valueOf,
 * hasOwnProperty…): class-transformer skips them, and class-validator's whitelist looks properties up in a
 * plain object that has them, so forbidNonWhitelisted let them through where it refuses `zz`. They are
 * refused in class-validator's own words, with the other errors. No API field has such a name.
 */
export class ApiValidationPipe extends ValidationPipe {
  // The options live here, not with each caller: transform() relies on failures being RequestValidationException.
  constructor() {
    super({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      // One reason per field: "must be a string" says it all, without "must not be blank" after it.
      stopAtFirstError: true,
      exceptionFactory: (errors) => new RequestValidationException(toFieldErrors(errors)),
    });
  }

  override async transform(value: unknown, metadata: ArgumentMetadata): Promise<unknown> {
    // Read first: ValidationPipe deletes `constructor` keys from the value, in place.
    const inherited = this.toValidate(metadata) ? inheritedMemberKeys(value) : [];
    const shortcut = inherited.length === 0 ? validationShortcutOf(metadata.metatype)?.sample(value) : undefined;
    if (shortcut) {
      try {
        return shortcut.complete((await super.transform(shortcut.sample, metadata)) as object);
      } catch (error) {
        // The whole body says what is wrong, and where: validated below.
        if (!(error instanceof RequestValidationException)) throw error;
      }
    }
    let result: unknown;
    let refused: FieldErrorDto[] = [];
    try {
      result = await super.transform(value, metadata);
    } catch (error) {
      if (inherited.length === 0 || !(error instanceof RequestValidationException)) throw error;
      refused = error.fieldErrors;
    }
    if (inherited.length > 0) throw new RequestValidationException([...refused, ...inherited]);
    return result;
  }
}

const OBJECT_MEMBERS = new Set(Object.getOwnPropertyNames(Object.prototype));

function inheritedMemberKeys(value: unknown): FieldErrorDto[] {
  const errors: FieldErrorDto[] = [];
  forEachField(value, (field) => {
    if (field.key !== undefined && OBJECT_MEMBERS.has(field.key))
      errors.push({ field: field.path, reason: `property ${field.key} should not exist` });
  });
  return errors;
}
