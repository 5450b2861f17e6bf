import { rm } from 'node:fs/promises';
import type { Socket } from 'node:net';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { RewritingConnection } from './connection.js';
import type { CriDeps } from './deps.js';
import { listenCriSocket, type CriServer } from './listen/index.js';
import { imageService } from './image-service.js';
import { loadCriServices } from './proto.js';
import { implementation, tolerantDecoding } from './rpc.js';
import { runtimeService } from './runtime-service.js';
import { ExecStreamRuntime, NetnsPortForwarder, StreamingServer } from './streaming/index.js';
import { AttachingRuntime } from './attach.js';

export type { CriServer };

/**
 * The CRI's gRPC services, ready for connections accepted elsewhere (listen/index.ts accepts them and loads
 * this module, the gRPC stack and api.proto only when the first one arrives).
 */
export interface CriService {
  /** Where the streaming server (exec, attach, port-forward URLs) listens: http://ADDR:PORT. */
  readonly streamingUrl: string;
  inject(socket: Socket): void;
  close(): Promise<void>;
}

/** Serves runtime.v1 RuntimeService and ImageService to the connections given to `inject`. */
export async function createCriService(deps: CriDeps): Promise<CriService> {
  const defs = loadCriServices();
  const streaming = await startStreaming(deps);
  // grpc-js's default 4 MB receive limit is kubelet's too; ListImages answers can be larger.
  const server = new Server({ 'grpc.max_send_message_length': 16 << 20 });
  server.addService(tolerantDecoding(defs.runtime), implementation(defs.runtime, runtimeService(deps, streaming)));
  server.addService(tolerantDecoding(defs.image), implementation(defs.image, imageService(deps)));
  // berth accepts the connections itself and hands them to grpc-js, each through the rewriter that
  // lets Go clients' socket-path authority past Node's HTTP/2 checks (authority.ts).
  const injector = server.createConnectionInjector(ServerCredentials.createInsecure());
  return {
    streamingUrl: streaming.url,
    inject: (socket) => injector.injectConnection(new RewritingConnection(socket)),
    close: () =>
      new Promise<void>((resolve) => {
        // Calls in flight (a pull) get a moment; then the rest are cut.
        injector.drain(2000);
        const timer = setTimeout(() => server.forceShutdown(), 2100);
        server.tryShutdown(() => {
          clearTimeout(timer);
          injector.destroy();
          void streaming.close().finally(resolve);
        });
      }),
  };
}

/** Serves runtime.v1 RuntimeService and ImageService on the unix socket of `deps.config.socket`. */
export async function startCriServer(deps: CriDeps): Promise<CriServer> {
  const service = await createCriService(deps);
  const path = deps.config.socket;
  const listener = await listenCriSocket(path, (socket) => service.inject(socket)).catch(async (e: unknown) => {
    await service.close();
    throw e;
  });
  return {
    socket: path,
    streamingUrl: service.streamingUrl,
    close: async () => {
      listener.close();
      await service.close();
      await rm(path, { force: true });
    },
  };
}

/**
 * The streaming server kubelet proxies kubectl exec/attach/port-forward to: berth's exec of the
 * CRI's containers, and dials into a pod's network namespace.
 */
function startStreaming(deps: CriDeps): Promise<StreamingServer> {
  const ns = deps.config.namespace;
  const inNs = <T>(fn: () => T): T => deps.containers.inNamespace(ns, fn);
  const runtime = new ExecStreamRuntime(
    {
      create: (id, config) => inNs(() => deps.execs.create(id, config)),
      start: (id, opts) => inNs(() => deps.execs.start(id, opts)),
      resize: (id, h, w) => inNs(() => deps.execs.resize(id, h, w)),
    },
    { portForwarder: new NetnsPortForwarder({ netnsOf: async (id) => podNetns(deps.pods.get(id)) }) },
  );
  return StreamingServer.start({ address: deps.config.streamAddress, port: deps.config.streamPort, runtime: new AttachingRuntime(runtime, deps.containers, ns) });
}

/** Where a pod's ports are: its network namespace, or berthd's own for a host-network pod. */
function podNetns(pod: { hostNetwork: boolean; namespaces: { net?: string } }): string {
  return pod.hostNetwork ? `/proc/${process.pid}/ns/net` : (pod.namespaces.net ?? '');
}
