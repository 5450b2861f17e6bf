import { execFile } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { InvalidArgument } from '../../errdefs/index.js';
import { firstHost, formatIp, lastHost, parseCidr } from './cidr.js';
import { invokePlugin, type CniResult } from './cni.js';

const execFileP = promisify(execFile);

/** One bridge network as the CNI plugins see it. */
export interface BridgeNetworkConfig {
  /** The network id: the CNI network name (iptables comments, host-local's state folder). */
  id: string;
  bridge: string;
  subnet: string;
  gateway: string;
  ipRange?: string;
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
  mac?: string;
  ports?: PortMapping[];
}

export interface Attachment {
  ifname: string;
  ip: string;
  prefixLen: number;
  gateway: string;
  mac: string;
}

/**
 * Container endpoints on Linux bridges, made by the CNI plugins from Debian's
 * containernetworking-plugins: bridge (veth pair, gateway address, masquerade) with host-local
 * IPAM, then portmap for published ports.
 */
export class BridgeDriver {
  /** Networks whose masquerade rule this process has checked. */
  readonly #masqueraded = new Set<string>();

  constructor(
    readonly pluginDir: string,
    /** host-local's state under berth's data root, so parallel daemons never share allocations. */
    readonly ipamDir: string,
  ) {}

  #bridgeConf(net: BridgeNetworkConfig): Record<string, unknown> {
    const subnet = parseCidr(net.subnet);
    const range: Record<string, string> = { subnet: net.subnet, gateway: net.gateway };
    if (net.ipRange) {
      const r = parseCidr(net.ipRange);
      range['rangeStart'] = formatIp(Math.max(firstHost(r), firstHost(subnet)));
      range['rangeEnd'] = formatIp(Math.min(lastHost(r), lastHost(subnet)));
    }
    return {
      name: net.id,
      type: 'bridge',
      bridge: net.bridge,
      isGateway: true,
      // One masquerade rule per network (masquerade()), as Docker has, not a chain per container:
      // the plugin's per-container rules cost two iptables runs on every start and stop.
      ipMasq: false,
      hairpinMode: true,
      ...(net.mtu ? { mtu: net.mtu } : {}),
      ipam: {
        type: 'host-local',
        ranges: [[range]],
        routes: net.internal ? [] : [{ dst: '0.0.0.0/0' }],
        dataDir: this.ipamDir,
      },
    };
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
    const args: Record<string, string> = {};
    if (req.ip) args['IP'] = req.ip;
    if (req.mac) args['MAC'] = req.mac;
    const rt = { containerId: req.containerId, netns: req.netns, ifname: req.ifname, args };
    const result = await invokePlugin(this.pluginDir, this.#bridgeConf(net), 'ADD', rt);
    try {
      const ipc = result?.ips?.[0];
      if (!ipc) throw new InvalidArgument(`CNI bridge ADD gave no address for ${req.containerId}`);
      const iface = result?.interfaces?.find((i) => i.name === req.ifname && i.sandbox);
      if (req.ports?.length) await invokePlugin(this.pluginDir, this.#portmapConf(net, req.ports, result), 'ADD', { ...rt, args: {} });
      const [ip = '', len = '0'] = ipc.address.split('/');
      return { ifname: req.ifname, ip, prefixLen: Number(len), gateway: ipc.gateway ?? net.gateway, mac: iface?.mac ?? '' };
    } catch (e) {
      await this.detach(net, { ...req }).catch(() => undefined);
      throw e;
    }
  }

  /** CNI DEL of the chain in reverse; each plugin tolerates what is already gone. */
  async detach(net: BridgeNetworkConfig, req: AttachRequest): Promise<void> {
    const rt = { containerId: req.containerId, netns: req.netns, ifname: req.ifname };
    if (req.ports?.length) await invokePlugin(this.pluginDir, this.#portmapConf(net, req.ports), 'DEL', rt);
    await invokePlugin(this.pluginDir, this.#bridgeConf(net), 'DEL', rt);
  }

  /**
   * Docker's rule for a bridge network: what leaves the subnet through another interface is
   * masqueraded. Added once (checked first), removed with the network.
   */
  async masquerade(net: BridgeNetworkConfig, on: boolean): Promise<void> {
    const rule = ['-t', 'nat', 'POSTROUTING', '-s', net.subnet, '!', '-o', net.bridge, '-m', 'comment', '--comment', `berth ${net.id}`, '-j', 'MASQUERADE'];
    const run = (op: string): Promise<unknown> => execFileP('iptables', ['-w', rule[0] as string, rule[1] as string, op, ...rule.slice(2)]);
    const present = await run('-C').then(() => true, () => false);
    if (on && !present) await run('-A');
    if (!on && present) await run('-D');
    if (!on) this.#masqueraded.delete(net.id);
  }

  /** Removes a network's bridge (network rm); a missing one is fine. */
  async removeBridge(name: string): Promise<void> {
    await execFileP('ip', ['link', 'del', name]).catch(() => undefined);
  }

  async bridgeExists(name: string): Promise<boolean> {
    return readFile(`/sys/class/net/${name}/ifindex`, 'utf8').then(() => true, () => false);
  }
}

/** Docker turns on forwarding when it makes a bridge; containers cannot reach out without it. */
export async function enableIpForward(): Promise<void> {
  const p = '/proc/sys/net/ipv4/ip_forward';
  if ((await readFile(p, 'utf8').catch(() => '1')).trim() !== '1') await writeFile(p, '1');
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
