import type { ValidationArguments } from 'class-validator';
import { registerDecorator } from 'class-validator';

/**
 * A text setting that `parse` accepts: the parser's problems, joined, are the setting's error. The parser
 * lives with the code that uses what it reads, and is the one definition of the setting's syntax.
 */
export function ParsesWith(parse: (value: string) => { problems: readonly string[] }): PropertyDecorator {
  const problems = (value: unknown) => (typeof value === 'string' ? parse(value).problems : ['must be a string']);
  return (target, propertyName) =>
    registerDecorator({
      name: 'parsesWith',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: (args: ValidationArguments) => problems(args.value).join('; ') },
      validator: { validate: (value: unknown) => problems(value).length === 0 },
    });
}
