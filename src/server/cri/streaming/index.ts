/**
 * The CRI streaming server (exec, attach, port-forward for kubectl through kubelet): SPDY/3.1 and
 * WebSocket, over a narrow StreamRuntime the CRI service implements.
 */
export { StreamingServer, type StreamingServerOptions } from './server.js';
export type { StreamRuntime, StreamIO, TerminalSize } from './runtime.js';
export type { ExecRequest, AttachRequest, PortForwardRequest } from './requests.js';
export { ExecStreamRuntime, type ExecBackend, type ExecRuntimeOptions } from './exec-runtime.js';
/** The client side as client-go speaks it (kubectl through kubelet): for tests and tools. */
export { spdyConnect, openCommandStreams, openPortForwardStreams, readAll, WsChannelClient } from './client.js';
export { CHANNEL } from './ws-channels.js';
export { NetnsPortForwarder, type NetnsPortForwarderOptions } from './netns-forward.js';
export { execStartError } from './errors.js';
