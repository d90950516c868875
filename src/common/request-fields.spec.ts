import type { RequestField } from './request-fields';
import { forEachField } from './request-fields';

const fieldsOf = (root: unknown): RequestField[] => {
  const fields: RequestField[] = [];
  forEachField(root, (field) => fields.push(field));
  return fields;
};

describe('forEachField', () => {
  it('visits every nested value in document order, named by the path validation errors use', () => {
    const fields = fieldsOf({ body: 'x', recipients: [{ recipient: '1' }, [true]] }).map((field) => [
      field.path,
      field.key,
    ]);
    expect(fields).toEqual([
      ['body', 'body'],
      ['recipients', 'recipients'],
      ['recipients[0]', undefined],
      ['recipients[0].recipient', 'recipient'],
      ['recipients[1]', undefined],
      ['recipients[1][0]', undefined],
    ]);
  });

  it('starts a top-level array at its index', () => {
    expect(fieldsOf([{ a: 1 }]).map((field) => field.path)).toEqual(['[0]', '[0].a']);
  });

  it('walks a document far deeper than recursion could', () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 100_000; i++) deep = [deep];
    const bottom = fieldsOf(deep).pop();
    expect(bottom?.value).toBe('bottom');
    expect(bottom?.path).toBe('[0]'.repeat(100_000));
  });
});
