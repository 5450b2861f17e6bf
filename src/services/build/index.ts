export { BuildService } from './service.js';
export type { BuildDeps } from './builder.js';
export { RunFailed, type BuildMessage, type BuildOptions } from './types.js';
