import { errorKind, type ErrorKind } from '../../errdefs/index.js';

/** The one place that maps berth's error classes to Docker's HTTP statuses. */
const STATUS: Record<ErrorKind, number> = {
  'invalid-argument': 400,
  'not-found': 404,
  conflict: 409,
  forbidden: 403,
  unauthorized: 401,
  'not-modified': 304,
  'not-implemented': 501,
  unavailable: 503,
  // Docker answers a start whose command cannot run with 400; the CLI reads the words.
  'cannot-invoke': 400,
  'command-not-found': 400,
  internal: 500,
};

export function statusOf(err: unknown): number {
  if (err instanceof SyntaxError) return 400;
  return STATUS[errorKind(err)];
}

/**
 * The words a user reads. A full disk is named as such with what berthd was writing, never as
 * `ENOSPC: ..., write`, SQLite's `database or disk is full`, or a path inside the data root.
 * `doing`: what the request was doing ("pulling", "loading"), when the caller knows.
 */
export function messageOf(err: unknown, doing?: string): string {
  if (err instanceof SyntaxError) return `invalid JSON: ${err.message}`;
  if (isDiskFull(err)) return diskFullMessage(err, doing);
  return err instanceof Error ? err.message : String(err);
}

function isDiskFull(err: unknown): err is Error {
  if (!(err instanceof Error)) return false;
  const code = (err as NodeJS.ErrnoException).code;
  return code === 'ENOSPC' || code === 'EDQUOT' || code === 'SQLITE_FULL' || /^(ENOSPC|EDQUOT): |database or disk is full/.test(err.message);
}

/** What a path in the data root holds, in words (the path itself is berth's business). */
function whatOf(err: Error): string {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'SQLITE_FULL' || /database or disk is full/.test(err.message)) return "berthd's database";
  const path = (err as NodeJS.ErrnoException).path ?? /'([^']+)'/.exec(err.message)?.[1] ?? '';
  if (/\/blobs\//.test(path)) return 'image content';
  if (/\/layers\//.test(path)) return 'an image layer';
  if (/\/containers\//.test(path)) return "a container's files";
  if (/\/volumes\//.test(path)) return 'a volume';
  if (/\/build/.test(path)) return 'the build context';
  return "berthd's data root";
}

function diskFullMessage(err: Error, doing?: string): string {
  const quota = (err as NodeJS.ErrnoException).code === 'EDQUOT' || /^EDQUOT/.test(err.message);
  const what = quota ? 'disk quota exceeded' : 'no space left on device';
  return `${what}: berthd could not write ${whatOf(err)}${doing ? ` while ${doing}` : ''}; free some space (berth system prune) and try again`;
}
