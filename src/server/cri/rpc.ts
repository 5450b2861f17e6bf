import { status, type ServerUnaryCall, type ServerWritableStream, type ServiceDefinition, type UntypedServiceImplementation, type sendUnaryData } from '@grpc/grpc-js';
import { InvalidArgument } from '../../errdefs/index.js';
import { grpcError, grpcStatus } from './errors.js';

/** What a malformed request decodes to: the handler answers INVALID_ARGUMENT instead of grpc-js's INTERNAL. */
class Malformed {
  constructor(readonly reason: string) {}
}

/**
 * The service definition with decoders that never throw: bytes that are not the request message
 * become a Malformed marker, which the handler wrapper answers with INVALID_ARGUMENT naming the RPC.
 */
export function tolerantDecoding(def: ServiceDefinition): ServiceDefinition {
  const out: Record<string, ServiceDefinition[string]> = {};
  for (const [name, m] of Object.entries(def)) {
    out[name] = {
      ...m,
      requestDeserialize: (b: Buffer) => {
        try {
          return m.requestDeserialize(b);
        } catch (e) {
          return new Malformed(e instanceof Error ? e.message : String(e));
        }
      },
    };
  }
  return out as ServiceDefinition;
}

export interface RpcContext {
  /** Aborted when the client cancels the call or its deadline passes. */
  signal: AbortSignal;
}

export type UnaryHandler = (req: Record<string, unknown>, ctx: RpcContext) => Promise<object>;

function contextOf(call: ServerUnaryCall<unknown, unknown> | ServerWritableStream<unknown, unknown>): RpcContext {
  const ac = new AbortController();
  call.on('cancelled', () => ac.abort());
  return { signal: ac.signal };
}

function checkedRequest(rpc: string, req: unknown): Record<string, unknown> {
  if (req instanceof Malformed) throw new InvalidArgument(`malformed ${rpc} request: ${req.reason}`);
  if (!req || typeof req !== 'object') throw new InvalidArgument(`malformed ${rpc} request`);
  return req as Record<string, unknown>;
}

/** A unary RPC: every failure, thrown or rejected, ends the call with its mapped status. */
export function unary(rpc: string, fn: UnaryHandler) {
  return (call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>): void => {
    const ctx = contextOf(call);
    Promise.resolve()
      .then(() => fn(checkedRequest(rpc, call.request), ctx))
      .then(
        (res) => callback(null, res),
        (e: unknown) => callback(grpcError(e)),
      );
  };
}

/** An RPC berth does not serve (yet): UNIMPLEMENTED with a sentence naming it. */
export function unimplemented(rpc: string, why: string, streaming = false) {
  const err = grpcStatus(status.UNIMPLEMENTED, `${rpc} is not implemented by berth${why ? `: ${why}` : ''}`);
  if (streaming) {
    return (call: ServerWritableStream<unknown, unknown>): void => {
      call.emit('error', err);
    };
  }
  return (_call: ServerUnaryCall<unknown, unknown>, callback: sendUnaryData<unknown>): void => callback(err);
}

/** Every method of the service gets a handler: one missing from `impl` is a bug caught at start. */
export function implementation(def: ServiceDefinition, impl: UntypedServiceImplementation): UntypedServiceImplementation {
  const missing = Object.keys(def).filter((m) => !(m in impl));
  if (missing.length) throw new Error(`CRI handlers missing for ${missing.join(', ')}`);
  return impl;
}
