/** Length in Unicode code points, not UTF-16 code units: 😀 is 1 (a skin-toned emoji or a decomposed é is 2). */
export function characterCount(text: string): number {
  let count = 0;
  for (const _ of text) count++;
  return count;
}
