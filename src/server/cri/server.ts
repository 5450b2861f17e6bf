import { chmod, lstat, mkdir, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname } from 'node:path';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { RewritingConnection } from './connection.js';
import { Conflict, InvalidArgument } from '../../errdefs/index.js';
import type { CriDeps } from './deps.js';
import { imageService } from './image-service.js';
import { loadCriServices } from './proto.js';
import { implementation, tolerantDecoding } from './rpc.js';
import { runtimeService } from './runtime-service.js';
import { ExecStreamRuntime, NetnsPortForwarder, StreamingServer } from './streaming/index.js';
import { AttachingRuntime } from './attach.js';

export interface CriServer {
  /** The socket it listens on. */
  readonly socket: string;
  /** Where the streaming server (exec, attach, port-forward URLs) listens: http://ADDR:PORT. */
  readonly streamingUrl: string;
  close(): Promise<void>;
}

/** A socket left by a berthd that died goes; any other file at the path is refused, not removed. */
async function clearStaleSocket(path: string): Promise<void> {
  const st = await lstat(path).catch(() => undefined);
  if (!st) return;
  if (!st.isSocket()) throw new InvalidArgument(`cannot listen for CRI on ${path}: a file that is not a socket is in the way`);
  await rm(path, { force: true });
}

/** Serves runtime.v1 RuntimeService and ImageService on the unix socket of `deps.config.socket`. */
export async function startCriServer(deps: CriDeps): Promise<CriServer> {
  const defs = loadCriServices();
  const streaming = await startStreaming(deps);
  // grpc-js's default 4 MB receive limit is kubelet's too; ListImages answers can be larger.
  const server = new Server({ 'grpc.max_send_message_length': 16 << 20 });
  server.addService(tolerantDecoding(defs.runtime), implementation(defs.runtime, runtimeService(deps, streaming)));
  server.addService(tolerantDecoding(defs.image), implementation(defs.image, imageService(deps)));
  const path = deps.config.socket;
  await mkdir(dirname(path), { recursive: true, mode: 0o711 });
  await clearStaleSocket(path);
  // berth accepts the connections itself and hands them to grpc-js, each through the rewriter that
  // lets Go clients' socket-path authority past Node's HTTP/2 checks (authority.ts).
  const injector = server.createConnectionInjector(ServerCredentials.createInsecure());
  const listener = createServer((socket) => injector.injectConnection(new RewritingConnection(socket)));
  await new Promise<void>((resolve, reject) => {
    listener.once('error', (err) => reject(new Conflict(`cannot listen for CRI on ${path}: ${err.message}`, { cause: err })));
    listener.listen(path, () => resolve());
  }).catch(async (e: unknown) => {
    await streaming.close();
    throw e;
  });
  // Only root (kubelet runs as root) may drive the runtime.
  await chmod(path, 0o660);
  return {
    socket: path,
    streamingUrl: streaming.url,
    close: () =>
      new Promise<void>((resolve) => {
        listener.close();
        // Calls in flight (a pull) get a moment; then the rest are cut.
        injector.drain(2000);
        const timer = setTimeout(() => server.forceShutdown(), 2100);
        server.tryShutdown(() => {
          clearTimeout(timer);
          injector.destroy();
          void Promise.all([rm(path, { force: true }), streaming.close()]).finally(resolve);
        });
      }),
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
