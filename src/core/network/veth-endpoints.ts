import { createHash } from 'node:crypto';
import { closeSync, openSync } from 'node:fs';
import { Internal } from '../../errdefs/index.js';
import { writeNetSysctl } from '../../sys/index.js';
import { formatIp, lastHost, parseCidr, parseIp } from './cidr.js';
import { parseIp6, parsePrefix } from './cidr6.js';
import type { HostLocalLeases } from './ipam.js';
import { Rtnl } from './rtnl.js';
import type { AttachRequest, BridgeNetworkConfig } from './bridge.js';

/** What a bridge endpoint is made from: the driver's network and request (types.ts). */
type VethNetwork = BridgeNetworkConfig;
type VethRequest = Pick<AttachRequest, 'containerId' | 'netns' | 'ifname' | 'ip' | 'ip6' | 'linkLocal' | 'mac'>;
type Attached = { ip: string; prefixLen: number; gateway: string; mac: string; ipv6?: { ip: string; prefixLen: number; gateway: string } };

/** The host end of a container's interface: a name of its own per container and interface (IFNAMSIZ is 16). */
export function hostVethName(containerId: string, ifname: string): string {
  return `veth${createHash('sha256').update(`${containerId}/${ifname}`).digest('hex').slice(0, 11)}`;
}

/** Docker's MAC address for an address it gave: 02:42 and the four bytes of the IPv4 address. */
export function macForIp(ip: string): string {
  const n = parseIp(ip) ?? 0;
  return ['02', '42', ...[n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].map((b) => b.toString(16).padStart(2, '0'))].join(':');
}

/**
 * A container's endpoint on a bridge network, made in berthd over rtnetlink (what CNI's bridge and
 * host-local plugins do, without starting them): an address leased as host-local leases it, the
 * bridge with its gateway address, a veth pair whose host end is a hairpin port of the bridge and
 * whose other end, in the container's namespace, gets the address, the MAC and the default route.
 */
export class VethEndpoints {
  /** Bridges this process has set up (made, gateway address given, up). */
  readonly #ready = new Set<string>();

  constructor(readonly leases: HostLocalLeases) {}

  async attach(net: VethNetwork, req: VethRequest): Promise<Attached> {
    const owner = { containerId: req.containerId, ifname: req.ifname };
    const ip = await this.leases.lease(net.id, net, owner, req.ip);
    let ipv6: Attached['ipv6'];
    if (net.ipv6) {
      try {
        const ip6 = await this.leases.lease(net.id, { ...net.ipv6, rangeSet: 1 }, owner, req.ip6);
        ipv6 = { ip: ip6, prefixLen: parsePrefix(net.ipv6.subnet).prefix, gateway: net.ipv6.gateway };
      } catch (e) {
        await this.leases.release(net.id, owner).catch(() => undefined);
        throw e;
      }
    }
    const subnet = parseCidr(net.subnet);
    const broadcast = formatIp(lastHost(subnet) + 1);
    const mac = req.mac ?? macForIp(ip);
    const hostName = hostVethName(req.containerId, req.ifname);
    try {
      const host = Rtnl.open();
      try {
        const bridge = this.#bridge(host, net, subnet.prefix, broadcast);
        // A pair left by a berthd killed mid-attach would make the new one fail: it goes first.
        host.deleteLink(hostName);
        const nsFd = openSync(req.netns, 'r');
        try {
          host.createVeth({ hostName, peerName: req.ifname, peerNsFd: nsFd, master: bridge, peerMac: mac, ...(net.mtu ? { mtu: net.mtu } : {}) });
        } finally {
          closeSync(nsFd);
        }
        const port = host.link(hostName);
        if (!port) throw new Internal(`veth ${hostName} vanished after its creation`);
        host.setHairpin(port.index);
      } finally {
        host.close();
      }
      const ns = Rtnl.open(req.netns);
      try {
        const link = ns.link(req.ifname);
        if (!link) throw new Internal(`interface ${req.ifname} did not arrive in the container's network namespace`);
        // Docker's settings for an IPv6 endpoint: IPv6 on, router advertisements ignored.
        if (ipv6) {
          writeNetSysctl(req.netns, `net/ipv6/conf/${req.ifname}/disable_ipv6`, '0');
          writeNetSysctl(req.netns, `net/ipv6/conf/${req.ifname}/accept_ra`, '0');
        }
        ns.addAddress(link.index, ip, subnet.prefix, broadcast);
        ns.setUp(link.index);
        if (ipv6) ns.addAddress(link.index, ipv6.ip, ipv6.prefixLen);
        // Link-local addresses as Docker gives them: a /16 for IPv4, a /64 for IPv6.
        for (const ll of req.linkLocal ?? []) ns.addAddress(link.index, ll, parseIp6(ll) === undefined ? 16 : 64);
        if (!net.internal) ns.addDefaultRoute(net.gateway, link.index);
        if (ipv6 && !net.internal) ns.addDefaultRoute(ipv6.gateway, link.index);
      } finally {
        ns.close();
      }
    } catch (e) {
      await this.detach(net, req).catch(() => undefined);
      throw e;
    }
    return { ip, prefixLen: subnet.prefix, gateway: net.gateway, mac, ...(ipv6 ? { ipv6 } : {}) };
  }

  /**
   * Removes the endpoint's veth pair and releases its address; what is already gone is fine. When
   * the container's namespace is about to go (`namespaceGoes`), the pair is left to go with it: the
   * kernel then removes it in the background, where a delete here holds berthd for tens of ms.
   */
  async detach(net: VethNetwork, req: VethRequest, opts: { namespaceGoes?: boolean } = {}): Promise<void> {
    if (!opts.namespaceGoes) {
      const host = Rtnl.open();
      try {
        host.deleteLink(hostVethName(req.containerId, req.ifname));
      } finally {
        host.close();
      }
    }
    await this.leases.release(net.id, { containerId: req.containerId, ifname: req.ifname });
  }

  /** The network's bridge, made and given its gateway address once per process. */
  #bridge(host: Rtnl, net: VethNetwork, prefixLen: number, broadcast: string): number {
    if (this.#ready.has(net.bridge)) {
      const have = host.link(net.bridge);
      if (have) return have.index;
    }
    const index = host.ensureBridge(net.bridge, net.mtu);
    host.addAddress(index, net.gateway, prefixLen, broadcast);
    if (net.ipv6) host.addAddress(index, net.ipv6.gateway, parsePrefix(net.ipv6.subnet).prefix);
    this.#ready.add(net.bridge);
    return index;
  }

  /** Deletes a network's bridge (network rm); a missing one is fine. */
  removeBridge(name: string): void {
    this.#ready.delete(name);
    const host = Rtnl.open();
    try {
      host.deleteLink(name);
    } finally {
      host.close();
    }
  }
}

/** Deletes a link of berthd's namespace by name (a veth takes its peer with it); a missing one is fine. */
export function deleteHostLink(name: string): void {
  const host = Rtnl.open();
  try {
    host.deleteLink(name);
  } finally {
    host.close();
  }
}
