export { BuildService } from './service.js';
export type { BuildDeps } from './builder.js';
export { RunFailed, UnknownSource, type BuildMessage, type BuildOptions, type ProgressLog, type ProgressVertex, type SolveStatus } from './types.js';
