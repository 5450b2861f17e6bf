export { PodService } from './service.js';
export type { PodContainers, PodServiceDeps } from './service.js';
export { SandboxStore } from './store.js';
export type { PodMetadata, PortMapping as PodPortMapping, SandboxRecord, SandboxRequest, SandboxState } from './store.js';
export type { PodNamespaces } from './namespaces.js';
export type { PodRuntimes } from './runtime-handler.js';
