import { jsonShapeProblem, tooDeepAt } from './json-depth';

const nested = (depth: number, inner: unknown = 1, asArray = false): unknown => {
  let value = inner;
  for (let i = 0; i < depth; i++) value = asArray ? [value] : { a: value };
  return value;
};

describe('tooDeepAt', () => {
  it.each([
    ['a scalar', 'text'],
    ['null', null],
    [
      'the API’s own request shape',
      { body: 'hi', recipients: [{ provider: 'telegram', recipient: '1' }], send_at: null },
    ],
    ['objects exactly at the limit', nested(4)],
    ['arrays exactly at the limit', nested(4, 1, true)],
  ])('lets %s through', (_, value) => {
    expect(tooDeepAt(value, 4)).toBeNull();
  });

  it('names the top-level field that holds the too-deep value', () => {
    expect(tooDeepAt({ body: 'hi', recipients: [nested(3)] }, 4)).toBe('recipients');
    expect(tooDeepAt({ ok: nested(2), x: nested(10) }, 4)).toBe('x');
  });

  it('names an index of a top-level array, and the document itself when it is the culprit', () => {
    expect(tooDeepAt([1, nested(4, 1, true)], 4)).toBe('[1]');
    expect(tooDeepAt(nested(1, nested(5)), 1)).toBe('a');
    expect(tooDeepAt({}, 0)).toBe('');
  });

  it('handles a document far deeper than the stack could recurse', () => {
    const deep = JSON.parse(`${'['.repeat(200_000)}${']'.repeat(200_000)}`);
    expect(tooDeepAt({ recipients: deep }, 32)).toBe('recipients');
  });
});

describe('jsonShapeProblem', () => {
  const limits = { maxDepth: 32, maxItems: 3 };

  it('lets a list of exactly maxItems through, and names the field of a longer one, at any depth', () => {
    expect(jsonShapeProblem({ recipients: [{}, {}, {}] }, limits)).toBeNull();
    expect(jsonShapeProblem({ recipients: [{}, {}, {}, {}] }, limits)).toEqual({
      field: 'recipients',
      reason: 'holds a list of 4 items, more than 3',
    });
    expect(jsonShapeProblem({ recipients: [{ tags: [1, 2, 3, 4] }] }, limits)?.field).toBe('recipients');
  });

  it('reports depth as before', () => {
    expect(jsonShapeProblem(nested(40), limits)).toEqual({ field: 'a', reason: 'nests deeper than 32 levels' });
  });
});
