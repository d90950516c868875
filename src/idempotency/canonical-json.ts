/**
 * JSON with every object's keys sorted, at any depth, so that two requests that differ only in key order
 * (or whitespace) serialise, and hash, the same. Array order is kept: it means something. Like
 * JSON.stringify, it leaves out undefined properties and calls toJSON (a Date becomes its ISO string).
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner !== null && typeof inner === 'object' && !Array.isArray(inner)
      ? Object.fromEntries(
          Object.keys(inner)
            .sort()
            .map((key) => [key, (inner as Record<string, unknown>)[key]]),
        )
      : inner,
  );
}
