/**
 * The closed set of error classes. Code below server/ throws only these; server/engine and
 * server/registry map them to wire statuses, each in one file.
 */
export type ErrorKind =
  | 'invalid-argument'
  | 'not-found'
  | 'conflict'
  | 'forbidden'
  | 'unauthorized'
  | 'not-modified'
  | 'not-implemented'
  | 'unavailable'
  | 'cannot-invoke'
  | 'command-not-found'
  | 'internal';

export abstract class BerthError extends Error {
  abstract readonly kind: ErrorKind;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A request that cannot be served as asked: bad JSON, bad parameter, malformed archive. */
export class InvalidArgument extends BerthError {
  readonly kind = 'invalid-argument' as const;
}
/** No such object (image, container, blob, volume …). */
export class NotFound extends BerthError {
  readonly kind = 'not-found' as const;
}
/** The object exists in a state that forbids the operation (name in use, image in use …). */
export class Conflict extends BerthError {
  readonly kind = 'conflict' as const;
}
/** An operation that is never allowed on this object (e.g. removing a predefined network). */
export class Forbidden extends BerthError {
  readonly kind = 'forbidden' as const;
}
/** Credentials missing or refused. */
export class Unauthorized extends BerthError {
  readonly kind = 'unauthorized' as const;
}
/** The state already is what was asked (container already started/stopped). */
export class NotModified extends BerthError {
  readonly kind = 'not-modified' as const;
}
/** A feature berth does not have (yet). Said plainly, never faked. */
export class NotImplemented extends BerthError {
  readonly kind = 'not-implemented' as const;
}
/** A dependency (runtime, registry, disk) failed or is unreachable. */
export class Unavailable extends BerthError {
  readonly kind = 'unavailable' as const;
}
/** The container's command exists but cannot be executed (Docker's exit 126). */
export class CannotInvoke extends BerthError {
  readonly kind = 'cannot-invoke' as const;
}
/** The container's command was not found (Docker's exit 127). */
export class CommandNotFound extends BerthError {
  readonly kind = 'command-not-found' as const;
}
/** A bug or an unexpected system failure. */
export class Internal extends BerthError {
  readonly kind = 'internal' as const;
}

export function isBerthError(e: unknown): e is BerthError {
  return e instanceof BerthError;
}
export const isNotFound = (e: unknown): e is NotFound => e instanceof NotFound;
export const isConflict = (e: unknown): e is Conflict => e instanceof Conflict;
export const isInvalidArgument = (e: unknown): e is InvalidArgument => e instanceof InvalidArgument;
export const isNotModified = (e: unknown): e is NotModified => e instanceof NotModified;

/** The kind of any thrown value: BerthErrors keep theirs, aborts are 'unavailable', the rest 'internal'. */
export function errorKind(e: unknown): ErrorKind {
  if (isBerthError(e)) return e.kind;
  return 'internal';
}

/** An error as it crosses to another thread (structured clone keeps no class). */
export interface PlainError {
  name: string;
  message: string;
  code?: string;
}

const CLASSES: Record<string, new (message: string) => BerthError> = {
  InvalidArgument,
  NotFound,
  Conflict,
  Forbidden,
  Unauthorized,
  NotModified,
  NotImplemented,
  Unavailable,
  CannotInvoke,
  CommandNotFound,
  Internal,
};

export function toPlainError(e: unknown): PlainError {
  const err = e instanceof Error ? e : new Error(String(e));
  const code = (err as NodeJS.ErrnoException).code;
  return { name: err.name, message: err.message, ...(typeof code === 'string' ? { code } : {}) };
}

/** The error again, as the same class when it was one of ours; else a plain Error with its code. */
export function fromPlainError(p: PlainError): Error {
  const Kind = CLASSES[p.name];
  if (Kind) return new Kind(p.message);
  return Object.assign(new Error(p.message), p.code ? { code: p.code } : {});
}

/** Whether the error came back as one of ours (then it is the operation's verdict, not the thread's). */
export function isPlainBerthError(p: PlainError): boolean {
  return p.name in CLASSES;
}
