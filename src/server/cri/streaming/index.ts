/**
 * The CRI streaming server (exec, attach, port-forward for kubectl through kubelet): SPDY/3.1 and
 * WebSocket, over a narrow StreamRuntime the CRI service implements.
 */
export { StreamingServer, type StreamingServerOptions } from './server.js';
export type { StreamRuntime, StreamIO, TerminalSize } from './runtime.js';
export type { ExecRequest, AttachRequest, PortForwardRequest } from './requests.js';
