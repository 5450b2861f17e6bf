export { createEngineServer, engineRouter, API_VERSION, MIN_API_VERSION } from './engine.js';
export type { EngineDeps, SystemFacts } from './deps.js';
export type { InspectPaths } from './convert.js';
export { recordFromLegacy } from './dialect/index.js';
