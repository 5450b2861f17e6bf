export * from './containers/index.js';
export * from './images/index.js';
export * from './fs/index.js';
export type { ContainerRecord, ContainerState, ContainerStatus } from '../core/metadata/index.js';
export type { EngineEvent, EventFilters, EventBus } from '../core/events/index.js';
export type { ToolVersion } from '../core/runtime/index.js';
export * from './volumes/index.js';
export * from './networks/index.js';
export * from './build/index.js';
