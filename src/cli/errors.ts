import { isApiError } from '../api/index.js';
import { isBerthError } from '../errdefs/index.js';

/** docker's exit code for a failed engine call in `run`/`create`/`start`. */
export const EXIT_ENGINE = 125;
export const EXIT_CANNOT_INVOKE = 126;
export const EXIT_NOT_FOUND = 127;

/** The line docker prints for an error: daemon errors carry the "Error response from daemon" prefix. */
export function errorLine(e: unknown): string {
  if (isApiError(e)) return `Error response from daemon: ${e.message}`;
  if (isBerthError(e)) return e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}

/** The exit code docker's `run`/`start` gives a failed start, chosen by the words of the error. */
export function startFailureCode(e: unknown): number {
  const msg = e instanceof Error ? e.message : String(e);
  if (/executable file not found|no such file or directory|not found in \$PATH/i.test(msg)) return EXIT_NOT_FOUND;
  if (/permission denied|cannot invoke|is a directory/i.test(msg)) return EXIT_CANNOT_INVOKE;
  if (isBerthError(e) && e.kind === 'command-not-found') return EXIT_NOT_FOUND;
  if (isBerthError(e) && e.kind === 'cannot-invoke') return EXIT_CANNOT_INVOKE;
  return EXIT_ENGINE;
}

/** `berth: <line>.` followed by the usage hint, as docker prints run/create failures. */
export function runErrorText(e: unknown, command: string): string {
  let line = errorLine(e);
  if (!line.endsWith('.')) line += '.';
  return `berth: ${line}\nSee 'berth ${command} --help'.\n`;
}
