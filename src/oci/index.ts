export * from './media-types.js';
export * from './types.js';
export * from './reference.js';
export * from './platform.js';
export { parseManifest, parseIndex, parseImageConfig, checkDescriptor, sniffManifestKind } from './validate.js';
export { imageHealth, type ImageHealth } from './health.js';
