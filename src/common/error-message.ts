/** What a log line says of a caught value: an Error's message (not its stack), or whatever else was thrown, as text. */
export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
