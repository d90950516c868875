import type { ValidationError } from '@nestjs/common';
import { BadRequestException } from '@nestjs/common';
import type { FieldErrorDto } from './api-error.dto';

/** A 400 that names each offending field; thrown by the global ValidationPipe and by pipes on params. */
export class RequestValidationException extends BadRequestException {
  constructor(readonly fieldErrors: FieldErrorDto[]) {
    super(fieldErrors.map(({ field, reason }) => `${field}: ${reason}`).join('; '));
  }
}

/** Flattens class-validator's tree into `recipients[1].recipient`-style paths. */
export function toFieldErrors(errors: ValidationError[], parent = ''): FieldErrorDto[] {
  return errors.flatMap((error) => {
    const field = !parent
      ? error.property
      : /^\d+$/.test(error.property)
        ? `${parent}[${error.property}]`
        : `${parent}.${error.property}`;
    const own = Object.values(error.constraints ?? {}).map((reason) => ({
      field,
      reason: stripPropertyName(reason, error.property),
    }));
    return [...own, ...toFieldErrors(error.children ?? [], field)];
  });
}

// class-validator's default texts start with the property name ("body must be a string"): the field says it.
function stripPropertyName(reason: string, property: string): string {
  return reason.startsWith(`${property} `) ? reason.slice(property.length + 1) : reason;
}
