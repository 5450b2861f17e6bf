import { Forbidden, InvalidArgument, NotImplemented } from '../../errdefs/index.js';
import type { NetworkRecord } from '../../core/metadata/index.js';
import { formatAddr, formatPrefix, isLinkLocal, parseAddr, parsePrefix, pickSubnet6, prefixContains, prefixesOverlap, type AddressPool, type Prefix } from '../../core/network/index.js';

/** One IPAM config of a network create (--subnet, --gateway, --ip-range of one family). */
export interface IpamConfig {
  subnet?: string;
  gateway?: string;
  ipRange?: string;
}

/** The family of a config: its subnet's, else its gateway's or range's. */
function isV6(c: IpamConfig): boolean {
  return [c.subnet, c.gateway, c.ipRange].find((x) => x !== undefined)?.includes(':') === true;
}

/** The configs of a create split by family: berth networks take at most one of each. */
export function splitConfigs(configs: IpamConfig[], enableIpv6: boolean): { v4: IpamConfig; v6?: IpamConfig } {
  const v4 = configs.filter((c) => !isV6(c));
  const v6 = configs.filter(isV6);
  if (v4.length > 1) throw new NotImplemented('berth networks take one IPv4 subnet');
  if (v6.length > 1) throw new NotImplemented('berth networks take one IPv6 subnet');
  if (v6.length && !enableIpv6) throw new InvalidArgument(`IPv6 subnet ${v6[0]?.subnet ?? v6[0]?.gateway ?? ''} given, but IPv6 is not enabled on the network (--ipv6)`);
  return { v4: v4[0] ?? {}, ...(v6[0] ? { v6: v6[0] } : {}) };
}

/**
 * The IPv6 IPAM of an --ipv6 network: the subnet asked for (not overlapping another network's), or
 * dockerd 27+'s choice without one: a /64 from the IPv6 default-address-pools, else from the unique
 * local /48 derived from the engine id. The gateway is the subnet's first address unless given.
 */
export function planIpv6(cfg: IpamConfig, networks: NetworkRecord[], pools: AddressPool[]): NonNullable<NetworkRecord['ipam6']> {
  const taken = networks.flatMap((n) => (n.ipam6 ? [parsePrefix(n.ipam6.subnet)] : []));
  let subnet: Prefix;
  if (cfg.subnet) {
    const asked = parsePrefix(cfg.subnet);
    if (!asked.v6) throw new InvalidArgument(`invalid IPv6 subnet ${cfg.subnet}`);
    if (asked.ip !== asked.base) throw new InvalidArgument(`invalid subnet ${cfg.subnet}: it should be ${formatPrefix(asked)}`);
    if (asked.prefix > 126) throw new InvalidArgument(`invalid subnet ${cfg.subnet}: too small for a gateway and a container`);
    if (taken.some((t) => prefixesOverlap(t, asked))) throw new Forbidden('Pool overlaps with other one on this address space');
    subnet = asked;
  } else {
    if (cfg.gateway || cfg.ipRange) throw new InvalidArgument('an IPv6 gateway or ip-range needs an IPv6 subnet (--subnet)');
    const picked = pickSubnet6(pools, taken);
    if (!picked) throw new Forbidden('could not find an available, non-overlapping IPv6 address pool among the defaults to assign to the network');
    subnet = picked;
  }
  let gateway = subnet.base + 1n;
  if (cfg.gateway) {
    const g = parseAddr(cfg.gateway);
    if (!g?.v6) throw new InvalidArgument(`invalid gateway address ${cfg.gateway}`);
    if (!prefixContains(subnet, g.n) || g.n === subnet.base) throw new InvalidArgument(`no matching subnet for gateway ${cfg.gateway}`);
    gateway = g.n;
  }
  let ipRange: string | undefined;
  if (cfg.ipRange) {
    const r = parsePrefix(cfg.ipRange);
    if (!r.v6 || r.ip !== r.base || !prefixContains(subnet, r.base) || r.prefix < subnet.prefix) throw new InvalidArgument(`invalid ip-range ${cfg.ipRange}: it must be a subnet of ${formatPrefix(subnet)}`);
    ipRange = formatPrefix(r);
  }
  return { subnet: formatPrefix(subnet), gateway: formatAddr(gateway, true), ...(ipRange ? { ipRange } : {}) };
}

/** --ip6 on a network: an IPv6 address inside its IPv6 subnet (canonical text), as dockerd checks it. */
export function checkIp6(net: NetworkRecord, ip6: string): string {
  const a = parseAddr(ip6);
  if (!a?.v6) throw new InvalidArgument(`invalid IPv6 address: ${ip6}`);
  if (net.name === 'bridge') throw new InvalidArgument('user specified IP address is supported on user defined networks only');
  if (!net.ipam6) throw new InvalidArgument(`invalid address ${ip6}: network ${net.name} has no IPv6 subnet (create it with --ipv6)`);
  if (!prefixContains(parsePrefix(net.ipam6.subnet), a.n)) throw new InvalidArgument(`invalid address ${ip6}: it does not belong to any of this network's subnets`);
  return formatAddr(a.n, true);
}

/** --link-local-ip: an address in 169.254.0.0/16 or fe80::/10 (an IPv6 one only on an --ipv6 network). */
export function checkLinkLocal(net: NetworkRecord, ip: string): string {
  const a = parseAddr(ip);
  if (!a) throw new InvalidArgument(`invalid link-local IP address: ${ip}`);
  if (!isLinkLocal(ip)) throw new InvalidArgument(`invalid link-local IP address ${ip}: it must be in 169.254.0.0/16 or fe80::/10`);
  if (a.v6 && !net.ipam6) throw new InvalidArgument(`invalid link-local IP address ${ip}: network ${net.name} has IPv6 disabled (create it with --ipv6)`);
  return formatAddr(a.n, a.v6);
}

/** The default bridge's IPv6 (--ipv6 with --fixed-cidr-v6): that subnet, its first address the bridge's. */
export function defaultBridgeIpv6(fixedCidrV6: string): NonNullable<NetworkRecord['ipam6']> {
  const p = parsePrefix(fixedCidrV6);
  if (!p.v6) throw new InvalidArgument(`invalid fixed-cidr-v6 ${fixedCidrV6}: not an IPv6 subnet`);
  if (p.prefix > 126) throw new InvalidArgument(`invalid fixed-cidr-v6 ${fixedCidrV6}: too small for a gateway and a container`);
  return { subnet: formatPrefix(p), gateway: formatAddr(p.base + 1n, true) };
}
