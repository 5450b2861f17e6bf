import { BerthError, type ErrorKind } from '../errdefs/index.js';

/** How the daemon's status maps back to berth's error kinds (the inverse of server/engine's table). */
function kindOfStatus(status: number): ErrorKind {
  switch (status) {
    case 304: return 'not-modified';
    case 400: return 'invalid-argument';
    case 401: return 'unauthorized';
    case 403: return 'forbidden';
    case 404: return 'not-found';
    case 409: return 'conflict';
    case 501: return 'not-implemented';
    case 503: return 'unavailable';
    default: return 'internal';
  }
}

/**
 * An error answer from the Engine API. It is a BerthError so that callers can still test the kind,
 * and keeps the wire status because the CLI's messages and exit codes follow it as docker's do.
 */
export class ApiError extends BerthError {
  readonly kind: ErrorKind;
  readonly statusCode: number;
  constructor(statusCode: number, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.statusCode = statusCode;
    this.kind = kindOfStatus(statusCode);
  }
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError;
}
