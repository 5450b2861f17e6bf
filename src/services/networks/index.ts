export { NetworkService, PREDEFINED, dnsNames } from './service.js';
export type { NetworkServiceDeps, NetworkCreateRequest, NetworkView } from './service.js';
export { ContainerNetworking, networkName } from './container-net.js';
export type { EndpointRequest, PreparedNetwork, ContainerAccess } from './container-net.js';
export { pruneKeep, type NetworkFilters } from './filters.js';
