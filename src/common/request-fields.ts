/** One value in a parsed request (a JSON body, a query), where it sits, and the path errors name it by. */
export class RequestField {
  constructor(
    readonly value: unknown,
    /** The object key it is held under; undefined for an array item and for the request itself. */
    readonly key?: string,
    private readonly index?: number,
    private readonly parent?: RequestField,
  ) {}

  /** As toFieldErrors spells it: `recipients[1].recipient`. Built on demand: most walks report nothing. */
  get path(): string {
    const parts: string[] = [];
    // eslint-disable-next-line @typescript-eslint/no-this-alias -- a walk up the parents that starts here
    for (let field: RequestField = this; field.parent !== undefined; field = field.parent) {
      if (field.key === undefined) parts.push(`[${field.index}]`);
      else parts.push(field.parent.parent === undefined ? field.key : `.${field.key}`);
    }
    return parts.reverse().join('');
  }
}

/** Calls `visit` with every value nested in `root` (not `root` itself), in document order. Iterative. */
export function forEachField(root: unknown, visit: (field: RequestField) => void): void {
  const top = new RequestField(root);
  const pending = [top];
  while (pending.length > 0) {
    const field = pending.pop()!;
    if (field !== top) visit(field);
    const { value } = field;
    if (value === null || typeof value !== 'object') continue;
    if (Array.isArray(value)) {
      for (let i = value.length - 1; i >= 0; i--) pending.push(new RequestField(value[i], undefined, i, field));
    } else {
      const keys = Object.keys(value);
      for (let i = keys.length - 1; i >= 0; i--)
        pending.push(new RequestField((value as Record<string, unknown>)[keys[i]], keys[i], undefined, field));
    }
  }
}
