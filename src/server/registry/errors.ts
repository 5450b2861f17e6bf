import { BerthError, Conflict, Forbidden, InvalidArgument, NotFound, NotImplemented, Unauthorized, errorKind, type ErrorKind } from '../../errdefs/index.js';

/**
 * The OCI distribution error codes and their statuses: the ONE place in server/registry that knows
 * status numbers. Handlers throw `registryError(reason, …)` (errdefs classes carrying a reason);
 * anything else thrown is mapped by its errdefs kind.
 */
export type OciCode =
  | 'BLOB_UNKNOWN'
  | 'BLOB_UPLOAD_INVALID'
  | 'BLOB_UPLOAD_UNKNOWN'
  | 'DIGEST_INVALID'
  | 'MANIFEST_BLOB_UNKNOWN'
  | 'MANIFEST_INVALID'
  | 'MANIFEST_UNKNOWN'
  | 'NAME_INVALID'
  | 'NAME_UNKNOWN'
  | 'SIZE_INVALID'
  | 'TAG_INVALID'
  | 'UNAUTHORIZED'
  | 'DENIED'
  | 'UNSUPPORTED'
  | 'TOOMANYREQUESTS'
  | 'RANGE_INVALID'
  | 'PAGINATION_NUMBER_INVALID'
  | 'UNKNOWN';

/** Reasons are the codes plus a few variants that differ only in status. */
export type Reason = OciCode | 'MANIFEST_TOO_LARGE' | 'BLOB_RANGE_UNSATISFIABLE' | 'METHOD_UNKNOWN' | 'UPLOAD_RANGE_INVALID';

interface Entry {
  code: OciCode;
  status: number;
  message: string;
  kind: ErrorKind;
}

const TABLE: Record<Reason, Entry> = {
  BLOB_UNKNOWN: { code: 'BLOB_UNKNOWN', status: 404, message: 'blob unknown to registry', kind: 'not-found' },
  BLOB_UPLOAD_INVALID: { code: 'BLOB_UPLOAD_INVALID', status: 400, message: 'blob upload invalid', kind: 'invalid-argument' },
  BLOB_UPLOAD_UNKNOWN: { code: 'BLOB_UPLOAD_UNKNOWN', status: 404, message: 'blob upload unknown to registry', kind: 'not-found' },
  DIGEST_INVALID: { code: 'DIGEST_INVALID', status: 400, message: 'provided digest did not match uploaded content', kind: 'invalid-argument' },
  MANIFEST_BLOB_UNKNOWN: { code: 'MANIFEST_BLOB_UNKNOWN', status: 400, message: 'blob unknown to registry', kind: 'invalid-argument' },
  MANIFEST_INVALID: { code: 'MANIFEST_INVALID', status: 400, message: 'manifest invalid', kind: 'invalid-argument' },
  MANIFEST_UNKNOWN: { code: 'MANIFEST_UNKNOWN', status: 404, message: 'manifest unknown', kind: 'not-found' },
  NAME_INVALID: { code: 'NAME_INVALID', status: 400, message: 'invalid repository name', kind: 'invalid-argument' },
  NAME_UNKNOWN: { code: 'NAME_UNKNOWN', status: 404, message: 'repository name not known to registry', kind: 'not-found' },
  SIZE_INVALID: { code: 'SIZE_INVALID', status: 400, message: 'provided length did not match content length', kind: 'invalid-argument' },
  TAG_INVALID: { code: 'TAG_INVALID', status: 400, message: 'manifest tag did not match URI', kind: 'invalid-argument' },
  UNAUTHORIZED: { code: 'UNAUTHORIZED', status: 401, message: 'authentication required', kind: 'unauthorized' },
  DENIED: { code: 'DENIED', status: 403, message: 'requested access to the resource is denied', kind: 'forbidden' },
  UNSUPPORTED: { code: 'UNSUPPORTED', status: 405, message: 'The operation is unsupported.', kind: 'not-implemented' },
  TOOMANYREQUESTS: { code: 'TOOMANYREQUESTS', status: 429, message: 'too many requests', kind: 'unavailable' },
  RANGE_INVALID: { code: 'RANGE_INVALID', status: 416, message: 'invalid content range', kind: 'invalid-argument' },
  PAGINATION_NUMBER_INVALID: { code: 'PAGINATION_NUMBER_INVALID', status: 400, message: 'invalid number of results requested', kind: 'invalid-argument' },
  UNKNOWN: { code: 'UNKNOWN', status: 500, message: 'unknown error', kind: 'internal' },
  MANIFEST_TOO_LARGE: { code: 'SIZE_INVALID', status: 413, message: 'manifest too large', kind: 'invalid-argument' },
  BLOB_RANGE_UNSATISFIABLE: { code: 'RANGE_INVALID', status: 416, message: 'requested range not satisfiable', kind: 'invalid-argument' },
  UPLOAD_RANGE_INVALID: { code: 'BLOB_UPLOAD_INVALID', status: 416, message: 'chunk out of order', kind: 'invalid-argument' },
  METHOD_UNKNOWN: { code: 'UNSUPPORTED', status: 405, message: 'The operation is unsupported.', kind: 'not-implemented' },
};

/** How errdefs kinds travel when no reason was given (errors from the content store, the database …). */
const BY_KIND: Record<ErrorKind, Reason> = {
  'invalid-argument': 'BLOB_UPLOAD_INVALID',
  'not-found': 'BLOB_UNKNOWN',
  conflict: 'DENIED',
  forbidden: 'DENIED',
  unauthorized: 'UNAUTHORIZED',
  'not-modified': 'UNKNOWN',
  'not-implemented': 'UNSUPPORTED',
  unavailable: 'UNKNOWN',
  'cannot-invoke': 'UNKNOWN',
  'command-not-found': 'UNKNOWN',
  internal: 'UNKNOWN',
};

interface Coded {
  readonly reason: Reason;
  readonly detail: unknown;
}

class RegistryInvalid extends InvalidArgument implements Coded {
  constructor(readonly reason: Reason, message: string, readonly detail: unknown, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
  }
}
class RegistryNotFound extends NotFound implements Coded {
  constructor(readonly reason: Reason, message: string, readonly detail: unknown, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
  }
}
class RegistryUnauthorized extends Unauthorized implements Coded {
  constructor(readonly reason: Reason, message: string, readonly detail: unknown, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
  }
}
class RegistryDenied extends Forbidden implements Coded {
  constructor(readonly reason: Reason, message: string, readonly detail: unknown, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
  }
}
class RegistryUnsupported extends NotImplemented implements Coded {
  constructor(readonly reason: Reason, message: string, readonly detail: unknown, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
  }
}
class RegistryConflict extends Conflict implements Coded {
  constructor(readonly reason: Reason, message: string, readonly detail: unknown, cause?: unknown) {
    super(message, cause === undefined ? undefined : { cause });
  }
}

/** An errdefs error that carries its distribution reason; message defaults to the spec's wording. */
export function registryError(reason: Reason, opts: { message?: string; detail?: unknown; cause?: unknown } = {}): BerthError {
  const e = TABLE[reason];
  const msg = opts.message ?? e.message;
  switch (e.kind) {
    case 'not-found':
      return new RegistryNotFound(reason, msg, opts.detail, opts.cause);
    case 'unauthorized':
      return new RegistryUnauthorized(reason, msg, opts.detail, opts.cause);
    case 'forbidden':
      return new RegistryDenied(reason, msg, opts.detail, opts.cause);
    case 'not-implemented':
      return new RegistryUnsupported(reason, msg, opts.detail, opts.cause);
    case 'conflict':
      return new RegistryConflict(reason, msg, opts.detail, opts.cause);
    default:
      return new RegistryInvalid(reason, msg, opts.detail, opts.cause);
  }
}

function isCoded(e: unknown): e is BerthError & Coded {
  return e instanceof BerthError && typeof (e as Partial<Coded>).reason === 'string';
}

/** The reason an error will be reported with. */
export function reasonOf(err: unknown): Reason {
  return isCoded(err) ? err.reason : BY_KIND[errorKind(err)];
}

export interface WireError {
  status: number;
  body: { errors: { code: OciCode; message: string; detail?: unknown }[] };
}

/** The spec's error body and status for anything thrown. */
export function toWireError(err: unknown): WireError {
  const reason = reasonOf(err);
  const e = TABLE[reason];
  let message = e.message;
  if (err instanceof BerthError && (isCoded(err) || e.kind !== 'internal')) message = err.message;
  const detail = isCoded(err) ? err.detail : undefined;
  return { status: e.status, body: { errors: [{ code: e.code, message, ...(detail !== undefined ? { detail } : {}) }] } };
}

/** Every reason with its code and status (for tests and documentation). */
export function errorTable(): readonly (Entry & { reason: Reason })[] {
  return (Object.keys(TABLE) as Reason[]).map((reason) => ({ reason, ...TABLE[reason] }));
}
