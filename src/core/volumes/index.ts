export { LocalVolumeDriver, validateVolumeName, validateLocalOptions, type VolumeMountSource } from './local.js';
export { resolveInRoot } from './confine.js';
export { copyUp } from './copy-up.js';
