import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { CNI_VERSION, invokePlugin, type CniResult } from './cni.js';
import { HostLocalLeases } from './ipam.js';
import { VethEndpoints } from './veth-endpoints.js';
import { Ipv6PortProxies, type Ipv6Relay } from './ipv6-proxy.js';

const execFileP = promisify(execFile);

/** One bridge network as the CNI plugins see it. */
export interface BridgeNetworkConfig {
  /** The network id: the CNI network name (iptables comments, host-local's state folder). */
  id: string;
  bridge: string;
  subnet: string;
  gateway: string;
  ipRange?: string;
  /** The IPv6 subnet of a dual-stack network (--ipv6). */
  ipv6?: { subnet: string; gateway: string; ipRange?: string };
  internal: boolean;
  mtu?: number;
}

export interface PortMapping {
  hostPort: number;
  containerPort: number;
  protocol: 'tcp' | 'udp' | 'sctp';
  hostIP?: string;
}

export interface AttachRequest {
  containerId: string;
  netns: string;
  ifname: string;
  ip?: string;
  /** --ip6: a static IPv6 address on a dual-stack network. */
  ip6?: string;
  /** --link-local-ip: extra addresses in 169.254.0.0/16 or fe80::/10. */
  linkLocal?: string[];
  mac?: string;
  ports?: PortMapping[];
}

export interface Attachment {
  ifname: string;
  ip: string;
  prefixLen: number;
  gateway: string;
  mac: string;
  ipv6?: { ip: string; prefixLen: number; gateway: string };
}

/**
 * Container endpoints on Linux bridges: the veth pair, address and routes made in berthd over
 * rtnetlink (VethEndpoints; CNI's bridge and host-local plugins did this at two process starts for
 * each attach and two for each detach), then CNI's portmap plugin for published ports.
 */
export class BridgeDriver {
  /** Networks whose masquerade rule this process has checked. */
  readonly #masqueraded = new Set<string>();
  readonly #veths: VethEndpoints;
  readonly #proxies = new Ipv6PortProxies();

  constructor(
    readonly pluginDir: string,
    /** Address leases under berth's data root (host-local's layout), so parallel daemons never share them. */
    readonly ipamDir: string,
    /** dockerd's `ip6tables` (default true): NAT66 and IPv6 port rules; off, IPv6 networks get neither. */
    readonly opts: { ip6tables?: boolean } = {},
  ) {
    this.#veths = new VethEndpoints(new HostLocalLeases(ipamDir));
  }

  #portmapConf(net: BridgeNetworkConfig, ports: PortMapping[], prev?: CniResult): Record<string, unknown> {
    return {
      name: net.id,
      type: 'portmap',
      // Masquerade connections from the host's own 127.0.0.1 so `curl 127.0.0.1:PORT` reaches the container.
      snat: true,
      capabilities: { portMappings: true },
      runtimeConfig: { portMappings: ports.map((p) => ({ hostPort: p.hostPort, containerPort: p.containerPort, protocol: p.protocol, ...(p.hostIP ? { hostIP: p.hostIP } : {}) })) },
      ...(prev ? { prevResult: prev } : {}),
    };
  }

  async attach(net: BridgeNetworkConfig, req: AttachRequest): Promise<Attachment> {
    if (!net.internal && !this.#masqueraded.has(net.id)) {
      await this.masquerade(net, true);
      this.#masqueraded.add(net.id);
    }
    const got = await this.#veths.attach(net, req);
    try {
      // IPv6 host addresses are relayed in berthd (docker-proxy's way); portmap's DNAT does IPv4.
      const v4ports = (req.ports ?? []).filter((p) => !p.hostIP?.includes(':'));
      if (v4ports.length) {
        // portmap reads the endpoint from the chain's previous result, as the bridge plugin gave it.
        const prev: CniResult = {
          cniVersion: CNI_VERSION,
          interfaces: [{ name: req.ifname, mac: got.mac, sandbox: req.netns }],
          ips: [
            { interface: 0, address: `${got.ip}/${got.prefixLen}`, gateway: got.gateway },
          ],
        };
        await invokePlugin(this.pluginDir, this.#portmapConf(net, v4ports, prev), 'ADD', { containerId: req.containerId, netns: req.netns, ifname: req.ifname, args: {} });
      }
      await this.openIpv6Relays(req.containerId, req.ifname, got.ipv6?.ip ?? got.ip, req.ports ?? []);
      return { ifname: req.ifname, ...got };
    } catch (e) {
      await this.detach(net, { ...req }).catch(() => undefined);
      throw e;
    }
  }

  /** CNI DEL of the chain in reverse; each plugin tolerates what is already gone. */
  async detach(net: BridgeNetworkConfig, req: AttachRequest, opts: { namespaceGoes?: boolean } = {}): Promise<void> {
    const rt = { containerId: req.containerId, netns: req.netns, ifname: req.ifname };
    this.#proxies.close(`${req.containerId}/${req.ifname}`);
    if (req.ports?.length) await invokePlugin(this.pluginDir, this.#portmapConf(net, req.ports), 'DEL', rt);
    await this.#veths.detach(net, req, opts);
  }

  /**
   * The relays of a container's ports on IPv6 host addresses: [::] for a TCP port published on all
   * addresses of a container with IPv6, and each IPv6 address asked for (relayed to the container's
   * IPv6 address, else to its IPv4 one, as docker-proxy does). Also called for the running containers
   * of a restarted berthd. Opened already: kept.
   */
  async openIpv6Relays(containerId: string, ifname: string, target: string, ports: PortMapping[]): Promise<void> {
    const key = `${containerId}/${ifname}`;
    if (this.#proxies.has(key)) return;
    const v6 = target.includes(':');
    const relays: Ipv6Relay[] = [];
    for (const p of ports) {
      if (p.protocol !== 'tcp') continue;
      if (p.hostIP?.includes(':')) relays.push({ hostIp: p.hostIP, hostPort: p.hostPort, target, targetPort: p.containerPort });
      else if (!p.hostIP && v6) relays.push({ hostIp: '::', hostPort: p.hostPort, target, targetPort: p.containerPort });
    }
    if (relays.length) await this.#proxies.open(key, relays);
  }

  /**
   * Docker's rule for a bridge network: what leaves the subnet through another interface is
   * masqueraded. Added once (checked first), removed with the network.
   */
  async masquerade(net: BridgeNetworkConfig, on: boolean): Promise<void> {
    // An IPv6 subnet gets the same rule from ip6tables (dockerd 28's default, "ip6tables": true).
    const v6 = net.ipv6 && this.opts.ip6tables !== false ? [['ip6tables', net.ipv6.subnet] as ['ip6tables', string]] : [];
    const sets: ['iptables' | 'ip6tables', string][] = [['iptables', net.subnet], ...v6];
    for (const [tool, subnet] of sets) {
      const rule = ['-t', 'nat', 'POSTROUTING', '-s', subnet, '!', '-o', net.bridge, '-m', 'comment', '--comment', `berth ${net.id}`, '-j', 'MASQUERADE'];
      const run = (op: string): Promise<unknown> => execFileP(tool, ['-w', rule[0] as string, rule[1] as string, op, ...rule.slice(2)]);
      const present = await run('-C').then(() => true, () => false);
      if (on && !present) await run('-A');
      if (!on && present) await run('-D');
    }
    if (!on) this.#masqueraded.delete(net.id);
  }

  /** berthd's stop: the IPv6 port relays close (a restarted berthd opens them again). */
  close(): void {
    this.#proxies.closeAll();
  }

  /** Removes a network's bridge (network rm); a missing one is fine. */
  async removeBridge(name: string): Promise<void> {
    this.#veths.removeBridge(name);
  }

  async bridgeExists(name: string): Promise<boolean> {
    return readFile(`/sys/class/net/${name}/ifindex`, 'utf8').then(() => true, () => false);
  }
}

/** Docker turns on forwarding when it makes a bridge; containers cannot reach out without it. */
export async function enableIpForward(ipv6 = false): Promise<void> {
  const p = '/proc/sys/net/ipv4/ip_forward';
  if ((await readFile(p, 'utf8').catch(() => '1')).trim() !== '1') await writeFile(p, '1');
  // And IPv6 forwarding for an IPv6 network, as dockerd 28 does with ip6tables on.
  const p6 = '/proc/sys/net/ipv6/conf/all/forwarding';
  if (ipv6 && (await readFile(p6, 'utf8').catch(() => '1')).trim() !== '1') await writeFile(p6, '1');
}

/** A container's interface counters, as `/proc/<pid>/net/dev` shows them inside its namespace. */
export async function interfaceCounters(pid: number): Promise<Record<string, Record<string, number>>> {
  const text = await readFile(join('/proc', String(pid), 'net/dev'), 'utf8').catch(() => '');
  const out: Record<string, Record<string, number>> = {};
  for (const line of text.split('\n').slice(2)) {
    const i = line.indexOf(':');
    if (i < 0) continue;
    const name = line.slice(0, i).trim();
    if (name === 'lo') continue;
    const f = line.slice(i + 1).trim().split(/\s+/).map(Number);
    out[name] = {
      rx_bytes: f[0] ?? 0,
      rx_packets: f[1] ?? 0,
      rx_errors: f[2] ?? 0,
      rx_dropped: f[3] ?? 0,
      tx_bytes: f[8] ?? 0,
      tx_packets: f[9] ?? 0,
      tx_errors: f[10] ?? 0,
      tx_dropped: f[11] ?? 0,
    };
  }
  return out;
}
