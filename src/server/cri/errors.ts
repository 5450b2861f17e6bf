import { status, type ServiceError } from '@grpc/grpc-js';
import { Metadata } from '@grpc/grpc-js';
import { errorKind, type ErrorKind } from '../../errdefs/index.js';

/**
 * The one place where berth's error classes become gRPC status codes, as kubelet reads them:
 * NotFound for unknown ids and images, AlreadyExists for names in use, InvalidArgument for bad
 * requests, Unknown only for real failures. A Record over every ErrorKind, so a new kind does not
 * compile until it has its code here.
 */
export const GRPC_STATUS: Record<ErrorKind, status> = {
  'invalid-argument': status.INVALID_ARGUMENT,
  'not-found': status.NOT_FOUND,
  conflict: status.ALREADY_EXISTS,
  forbidden: status.PERMISSION_DENIED,
  unauthorized: status.UNAUTHENTICATED,
  // CRI's stop/remove calls are idempotent: handlers answer success themselves where it applies.
  'not-modified': status.FAILED_PRECONDITION,
  'not-implemented': status.UNIMPLEMENTED,
  unavailable: status.UNAVAILABLE,
  'cannot-invoke': status.FAILED_PRECONDITION,
  'command-not-found': status.FAILED_PRECONDITION,
  internal: status.UNKNOWN,
};

/**
 * A call that ran out of its own time (ExecSync's timeout): gRPC's DEADLINE_EXCEEDED, which kubelet
 * reads as a probe that timed out. A protocol status, not a kind of berth error, so it lives here.
 */
export class DeadlineExceeded extends Error {
  override readonly name = 'DeadlineExceeded';
}

function isAbort(e: unknown): boolean {
  return e instanceof Error && (e.name === 'AbortError' || (e as NodeJS.ErrnoException).code === 'ABORT_ERR');
}

/** Any thrown value as the status a gRPC call ends with; the message is the error's own sentence. */
export function grpcError(e: unknown): Partial<ServiceError> {
  const code = e instanceof DeadlineExceeded ? status.DEADLINE_EXCEEDED : isAbort(e) ? status.CANCELLED : GRPC_STATUS[errorKind(e)];
  const details = e instanceof Error ? e.message : String(e);
  return { code, details, metadata: new Metadata() };
}

/** A status of our own making, e.g. UNIMPLEMENTED for an RPC not built yet. */
export function grpcStatus(code: status, details: string): Partial<ServiceError> {
  return { code, details, metadata: new Metadata() };
}
