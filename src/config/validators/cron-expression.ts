import type { ValidationArguments } from 'class-validator';
import { registerDecorator } from 'class-validator';
import { CronTime } from 'cron';

/** Six fields (seconds first), each valid: what the cron library behind @nestjs/schedule accepts. */
export function IsCronExpression(): PropertyDecorator {
  const problem = (value: unknown): string | null => {
    if (typeof value !== 'string' || !/^(\S+\s+){5}\S+$/.test(value.trim())) {
      return 'must be a six-field cron expression (seconds first), e.g. "*/10 * * * * *"';
    }
    try {
      new CronTime(value);
      return null;
    } catch (error) {
      return `is not a valid cron expression: ${(error as Error).message}`;
    }
  };
  return (target, propertyName) =>
    registerDecorator({
      name: 'isCronExpression',
      target: target.constructor,
      propertyName: propertyName as string,
      options: { message: (args: ValidationArguments) => problem(args.value) ?? '' },
      validator: { validate: (value: unknown) => problem(value) === null },
    });
}
