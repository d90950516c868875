import { plainToInstance } from 'class-transformer';
import { IsOptional, validateSync } from 'class-validator';
import { NumberSetting } from './number-setting';

class Settings {
  @NumberSetting({ min: 1, max: 10 })
  WHOLE = 5;

  @NumberSetting({ min: 0, max: 1, integer: false })
  SHARE = 0.5;

  @NumberSetting({ min: -3 })
  UNBOUNDED = 0;

  @IsOptional()
  @NumberSetting({ min: 1 })
  OPTIONAL?: number = undefined;
}

/** The settings read from `env`, and the problems loadConfig would report (it stops at each setting's first). */
function read(env: Record<string, string>): { settings: Settings; problems: string[] } {
  const settings = plainToInstance(Settings, env, { exposeDefaultValues: true });
  const problems = validateSync(settings, { stopAtFirstError: true }).flatMap((error) =>
    Object.values(error.constraints ?? {}),
  );
  return { settings, problems };
}

describe('NumberSetting', () => {
  it.each([
    ['WHOLE', '7', 7],
    ['WHOLE', ' 10 ', 10],
    ['SHARE', '0.25', 0.25],
    ['SHARE', '1', 1],
    ['UNBOUNDED', '-3', -3],
    ['UNBOUNDED', '123456789', 123_456_789],
  ])('reads %s=%p as the number %p', (name, value, number) => {
    const { settings, problems } = read({ [name]: value });
    expect(problems).toEqual([]);
    expect(settings[name as keyof Settings]).toBe(number);
  });

  it('keeps the default of a setting that is not given, and leaves an optional one unset', () => {
    const { settings, problems } = read({});
    expect(problems).toEqual([]);
    expect(settings).toMatchObject({ WHOLE: 5, SHARE: 0.5, UNBOUNDED: 0 });
    expect(settings.OPTIONAL).toBeUndefined();
  });

  it.each([' ', '0x1', '1e3', '+1', '1.', '.5', '1,000', 'Infinity', 'seven'])(
    'refuses %p as not a number: only plain decimals count, though Number() reads most of these',
    (value) => {
      expect(read({ WHOLE: value, SHARE: value }).problems).toEqual(['must be a whole number', 'must be a number']);
    },
  );

  it('refuses a fraction where a whole number is wanted', () => {
    expect(read({ WHOLE: '2.5' }).problems).toEqual(['must be a whole number']);
  });

  it('says a value is not a number before saying it is out of range', () => {
    expect(read({ WHOLE: '-abc' }).problems).toEqual(['must be a whole number']);
    expect(read({ WHOLE: '-2.5' }).problems).toEqual(['must be a whole number']);
  });

  it.each([
    ['WHOLE', '0', 'WHOLE must not be less than 1'],
    ['WHOLE', '11', 'WHOLE must not be greater than 10'],
    ['SHARE', '1.5', 'SHARE must not be greater than 1'],
    ['SHARE', '-0.1', 'SHARE must not be less than 0'],
    ['UNBOUNDED', '-4', 'UNBOUNDED must not be less than -3'],
  ])('refuses %s=%p: %s', (name, value, problem) => {
    expect(read({ [name]: value }).problems).toEqual([problem]);
  });
});
