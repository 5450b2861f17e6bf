export { parseCidr, parseIp, formatIp, formatCidr, contains, overlaps, firstHost, pickSubnet, hostRouteSubnets, DEFAULT_POOLS } from './cidr.js';
export type { Subnet, AddressPool } from './cidr.js';
export { adoptNetns, createNetns, removeNetns } from './netns.js';
export { BridgeDriver, enableIpForward, interfaceCounters } from './bridge.js';
export type { BridgeNetworkConfig, PortMapping } from './bridge.js';
export { hostPortFree, pickHostPort } from './host-ports.js';
export { DnsResponder } from './dns-server.js';
