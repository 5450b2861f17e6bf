import { dnsNames, type ContainerRecord, type EndpointRecord, type NetworkView } from '../../services/index.js';

const BUILTIN = new Set(['bridge', 'host', 'none']);

/** EndpointIPAMConfig: the addresses asked for, each field only when given (Go's omitempty); null when none was. */
function ipamConfig(ep: EndpointRecord | undefined): Record<string, unknown> | null {
  if (!ep?.requestedIp && !ep?.requestedIp6 && !ep?.linkLocalIps?.length) return null;
  return {
    ...(ep.requestedIp ? { IPv4Address: ep.requestedIp } : {}),
    ...(ep.requestedIp6 ? { IPv6Address: ep.requestedIp6 } : {}),
    ...(ep.linkLocalIps?.length ? { LinkLocalIPs: ep.linkLocalIps } : {}),
  };
}

/** Docker's EndpointSettings of one container on one network. */
function endpointWire(c: ContainerRecord, name: string): Record<string, unknown> {
  const ep = c.networks?.[name];
  const live = ep?.endpointId !== undefined;
  return {
    IPAMConfig: ipamConfig(ep),
    Links: ep?.links?.length ? ep.links.map((l) => `${l.name}:${l.alias}`) : null,
    Aliases: ep?.aliases.length ? ep.aliases : null,
    MacAddress: (live ? ep?.mac : ep?.requestedMac) ?? '',
    DriverOpts: null,
    NetworkID: ep?.networkId ?? '',
    EndpointID: ep?.endpointId ?? '',
    Gateway: ep?.gateway ?? '',
    IPAddress: ep?.ip ?? '',
    IPPrefixLen: ep?.prefixLen ?? 0,
    IPv6Gateway: ep?.gateway6 ?? '',
    GlobalIPv6Address: ep?.ip6 ?? '',
    GlobalIPv6PrefixLen: ep?.prefixLen6 ?? 0,
    DNSNames: ep && !BUILTIN.has(name) ? dnsNames(c, ep.aliases) : null,
  };
}

/** Ports: bound host addresses while running; exposed ports without a binding are null, as in Docker. */
export function wirePorts(c: ContainerRecord): Record<string, { HostIp: string; HostPort: string }[] | null> {
  const out: Record<string, { HostIp: string; HostPort: string }[] | null> = {};
  if (!c.netns) return out;
  for (const k of c.spec.networking.exposedPorts) out[k] = null;
  for (const [k, list] of Object.entries(c.ports ?? {})) out[k] = list.map((b) => ({ HostIp: b.hostIp, HostPort: b.hostPort }));
  return out;
}

export function networkSettings(c: ContainerRecord): Record<string, unknown> {
  const networks = Object.fromEntries(Object.keys(c.networks ?? {}).map((n) => [n, endpointWire(c, n)]));
  // The top-level fields are the default bridge's (Docker's legacy view); empty on other networks.
  const b = c.networks?.['bridge'];
  return {
    Bridge: '',
    SandboxID: c.netns ? c.id : '',
    SandboxKey: c.netns ?? '',
    HairpinMode: false,
    LinkLocalIPv6Address: '',
    LinkLocalIPv6PrefixLen: 0,
    Ports: wirePorts(c),
    SecondaryIPAddresses: null,
    SecondaryIPv6Addresses: null,
    EndpointID: b?.endpointId ?? '',
    Gateway: b?.gateway ?? '',
    GlobalIPv6Address: b?.ip6 ?? '',
    GlobalIPv6PrefixLen: b?.prefixLen6 ?? 0,
    IPAddress: b?.ip ?? '',
    IPPrefixLen: b?.prefixLen ?? 0,
    IPv6Gateway: b?.gateway6 ?? '',
    MacAddress: b?.mac ?? '',
    Networks: networks,
  };
}

/** `docker ps` Ports: one row per bound host address, exposed ports without one. */
export function summaryPorts(c: ContainerRecord): Record<string, unknown>[] {
  const out: Record<string, unknown>[] = [];
  for (const [k, v] of Object.entries(wirePorts(c))) {
    const [port = '0', type = 'tcp'] = k.split('/');
    if (!v) out.push({ PrivatePort: Number(port), Type: type });
    else for (const b of v) out.push({ IP: b.HostIp, PrivatePort: Number(port), PublicPort: Number(b.HostPort), Type: type });
  }
  return out;
}

/** Docker's network object (GET /networks/{id}); `Containers` only in inspect, as Docker lists them. */
export function networkWire(n: NetworkView, withContainers: boolean): Record<string, unknown> {
  return {
    Name: n.name,
    Id: n.id,
    Created: n.created,
    Scope: 'local',
    Driver: n.driver,
    EnableIPv6: n.enableIpv6,
    IPAM: {
      Driver: 'default',
      Options: null,
      Config: [n.ipam, n.ipam6].flatMap((c) => (c ? [{ Subnet: c.subnet, Gateway: c.gateway, ...(c.ipRange ? { IPRange: c.ipRange } : {}) }] : [])),
    },
    Internal: n.internal,
    Attachable: n.attachable,
    Ingress: false,
    ConfigFrom: { Network: '' },
    ConfigOnly: false,
    Containers: withContainers
      ? Object.fromEntries(n.endpoints.map((e) => [e.containerId, { Name: e.name, EndpointID: e.endpointId, MacAddress: e.mac, IPv4Address: e.ipv4, IPv6Address: e.ipv6 }]))
      : {},
    Options: n.options,
    Labels: n.labels,
  };
}
