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

export function messageOf(err: unknown): string {
  if (err instanceof SyntaxError) return `invalid JSON: ${err.message}`;
  return err instanceof Error ? err.message : String(err);
}
