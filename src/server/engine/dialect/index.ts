/*
 * The Docker dialect: Engine API create bodies → ContainerSpec (create.ts, host-options.ts,
 * mounts.ts), and inspect's HostConfig back from the stored spec (host-config.ts, view.ts).
 * Below server/ nothing reads a Docker wire name.
 */
export { createInputFromWire, healthToWire, networkModeOf, parseLink, specFromHostConfig } from './create.js';
export { wireHostConfig } from './host-config.js';
export { updateFromWire } from './host-options.js';
export { createWarnings } from './limits.js';
export type { UpdateRequest } from './host-options.js';
export { recordFromLegacy } from './legacy.js';
