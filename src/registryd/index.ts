export { main } from './main.js';
export { startRegistry, runGc, type RunningRegistry } from './registry.js';
export { parseOptions, type RegistryOptions, type ServeOptions, type GcCommandOptions } from './options.js';
