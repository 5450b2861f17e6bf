export { ContainerService } from './service.js';
export type { ContainerServiceDeps, WaitCondition } from './service.js';
export { containerMatches, validateContainerFilters, labelMatches } from './filters.js';
export type { Filters, FilterContext } from './filters.js';
export type { CreateInput } from './create-record.js';
export { mergeEnv, validateName } from './create-record.js';
export type * from './ports.js';
export { containerTop, containerStats } from './observe.js';
