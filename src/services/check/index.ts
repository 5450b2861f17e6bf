export { checkStore, collectOrphans } from './check.js';
export type { CheckReport, Fault, FaultKind } from './check.js';
export type { CheckPorts, CheckedContainer, CheckedImage } from './ports.js';
