export { VolumeService } from './service.js';
export type { VolumeServiceDeps, VolumeView, VolumeCreateRequest } from './service.js';
export { ANONYMOUS_LABEL, type VolumeFilters } from './filters.js';
