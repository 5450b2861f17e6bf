/** Messages for clients: an error's own message, never a stack or a Node internal code. */
export function errorMessage(e: unknown): string {
  if (e instanceof Error) return e.message;
  return String(e);
}
