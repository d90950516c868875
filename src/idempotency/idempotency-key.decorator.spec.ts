import { idempotencyKeyProblem } from './idempotency-key.decorator';

describe('idempotencyKeyProblem', () => {
  it.each([
    ['a UUID', '5f1b7e5a-6c1d-4b8e-9a3f-2d4c6e8f0a1b'],
    ['one character', 'k'],
    ['255 characters', 'k'.repeat(255)],
    ['spaces and symbols', 'order 1042 / retry #2: {"a"} ~'],
  ])('accepts %s', (_, key) => {
    expect(idempotencyKeyProblem(key)).toBeNull();
  });

  it.each([
    ['empty', '', 'must not be empty'],
    ['256 characters', 'k'.repeat(256), 'must be at most 255 characters, not 256'],
    [
      'a UTF-8 character (as latin1)',
      'caf\u00c3\u00a9',
      'must contain only printable ASCII characters; byte 4 is 0xC3',
    ],
    ['a tab', 'a\tb', 'must contain only printable ASCII characters; byte 2 is 0x09'],
    ['DEL', 'ab\u007f', 'must contain only printable ASCII characters; byte 3 is 0x7F'],
  ])('refuses %s', (_, key, problem) => {
    expect(idempotencyKeyProblem(key)).toBe(problem);
  });
});
