/**
 * A faster way to validate a body with a long list, for ApiValidationPipe. class-validator visits each item
 * of a nested list as an object of its own (its metadata looked up, an error tree built and discarded), which
 * for a 1000-recipient message was a fifth of the API's CPU. A shortcut checks the items itself and hands
 * class-validator the body with its list cut to a few items that stand for the rest, so that every other
 * rule, including those that read the list, is still class-validator's. It answers undefined whenever an
 * item is not plainly valid: the whole body then goes through class-validator, which words every error.
 */
export interface ValidationShortcut {
  sample(value: unknown): ValidationSample | undefined;
}

export interface ValidationSample {
  /** The body with its list cut short; validated and transformed as the whole body would be. */
  readonly sample: unknown;
  /** The validated sample, made whole again: its list put back, each item as the transform makes it. */
  complete(validated: object): object;
}

const VALIDATION_SHORTCUT = Symbol('validation shortcut');

/** Gives a DTO class its shortcut. */
export function ValidatesWith(shortcut: ValidationShortcut): ClassDecorator {
  return (target) => Reflect.defineMetadata(VALIDATION_SHORTCUT, shortcut, target);
}

export function validationShortcutOf(metatype: unknown): ValidationShortcut | undefined {
  return typeof metatype === 'function'
    ? (Reflect.getOwnMetadata(VALIDATION_SHORTCUT, metatype) as ValidationShortcut | undefined)
    : undefined;
}
