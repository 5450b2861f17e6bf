export { createRuntime } from './runtime.js';
export type { Runtime, RuntimeOptions, RuntimeStatus } from './runtime.js';
export { generateSpec, detectHostInfo, resolveCapabilities } from './spec.js';
export type { ContainerSpecInput, HostInfo, NetworkMode } from './spec.js';
export type * from './spec-types.js';
export { resolveUser, resolveInRoot } from './user.js';
export { readLogs } from './logs.js';
export type { LogEntry, ReadLogsOptions } from './logs.js';
export { normalizeSignal } from './signals.js';
