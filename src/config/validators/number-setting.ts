import { applyDecorators } from '@nestjs/common';
import { Transform } from 'class-transformer';
import { IsInt, IsNumber, Max, Min } from 'class-validator';

/** Plain decimal numbers only: Number() would also take ' ' (as 0), '0x1' and '1e3'. */
const toNumber = ({ value }: { value: unknown }) =>
  typeof value === 'string' && /^\s*-?\d+(\.\d+)?\s*$/.test(value)
    ? Number(value)
    : value === undefined
      ? undefined
      : NaN;

/**
 * A numeric setting. The checks run in the order listed and stop at the first failure (see loadConfig),
 * so "abc" is reported as not a number rather than as out of range.
 */
export function NumberSetting({
  min,
  max,
  integer = true,
}: {
  min: number;
  max?: number;
  integer?: boolean;
}): PropertyDecorator {
  return applyDecorators(
    Transform(toNumber),
    integer
      ? IsInt({ message: 'must be a whole number' })
      : IsNumber({ allowNaN: false }, { message: 'must be a number' }),
    Min(min),
    ...(max === undefined ? [] : [Max(max)]),
  );
}
