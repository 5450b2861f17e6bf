export { EventBus, eventMatches } from './bus.js';
export type { EngineEvent, EventFilters, EventType } from './bus.js';
