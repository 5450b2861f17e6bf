export { startCriServer, type CriServer } from './server.js';
export type { CriConfig, CriDeps, ImageFsUsage } from './deps.js';
export { criProtoPath, PROTO_OPTIONS } from './proto.js';
export { CRI_API_VERSION } from './runtime-service.js';
