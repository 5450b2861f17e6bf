import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { loadPackageDefinition, type GrpcObject, type ServiceClientConstructor, type ServiceDefinition } from '@grpc/grpc-js';
import { loadSync, type Options } from '@grpc/proto-loader';
import { distPath } from '../../util/index.js';

/*
 * Why @grpc/grpc-js with @grpc/proto-loader: grpc-js is gRPC's own pure-JS implementation (no native
 * addon to compile here), speaks HTTP/2 over unix sockets as kubelet does, and is what the gRPC project
 * maintains for Node. proto-loader reads the CRI's api.proto as published at start, so the wire
 * contract is that file and nothing generated from it can drift out of step; a generator
 * (protobufjs-cli, @bufbuild/protoc-gen-es) would add a build step and a second copy of the contract.
 * The price is a few hundred ms of parsing when berthd starts the CRI server (only when it is on).
 */

/** Where api.proto is: beside this module once scripts/setup copied it into dist/, else in the source tree. */
export function criProtoPath(): string {
  const candidates = [distPath('src/server/cri/proto/api.proto'), resolve(distPath('..'), 'src/server/cri/proto/api.proto')];
  const found = candidates.find((p) => existsSync(p));
  if (!found) throw new Error(`the CRI definitions (api.proto) are missing from this build; looked in ${candidates.join(', ')}`);
  return found;
}

/**
 * The field names stay as the proto spells them (snake_case), int64s travel as decimal strings (a
 * nanosecond timestamp does not fit a double), enums as their names, absent fields as their
 * defaults: the shapes the handlers and the test client both see.
 */
export const PROTO_OPTIONS: Options = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true };

export interface CriServices {
  runtime: ServiceDefinition;
  image: ServiceDefinition;
}

/** The RuntimeService and ImageService definitions of runtime.v1. */
export function loadCriServices(): CriServices {
  const pkg = loadPackageDefinition(loadSync(criProtoPath(), PROTO_OPTIONS));
  const v1 = (pkg['runtime'] as GrpcObject)['v1'] as GrpcObject;
  return {
    runtime: (v1['RuntimeService'] as ServiceClientConstructor).service,
    image: (v1['ImageService'] as ServiceClientConstructor).service,
  };
}
