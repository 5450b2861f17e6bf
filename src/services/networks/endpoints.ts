import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Conflict, InvalidArgument, NotImplemented } from '../../errdefs/index.js';
import type { ContainerRecord, EndpointRecord, NetworkRecord, PortBinding } from '../../core/metadata/index.js';
import { adoptNetns, BridgeDriver, parseAddr, createNetns, enableIpForward, hostPortFree, pickHostPort, removeNetns, type BridgeNetworkConfig, type PortMapping } from '../../core/network/index.js';

/** The CNI view of a bridge network record. */
export function bridgeConfig(net: NetworkRecord): BridgeNetworkConfig {
  if (net.driver !== 'bridge' || !net.ipam || !net.bridge) throw new InvalidArgument(`network ${net.name} is not a bridge network`);
  return {
    id: net.id,
    bridge: net.bridge,
    subnet: net.ipam.subnet,
    gateway: net.ipam.gateway,
    ...(net.ipam.ipRange ? { ipRange: net.ipam.ipRange } : {}),
    ...(net.ipam6 ? { ipv6: net.ipam6 } : {}),
    internal: net.internal,
    ...(net.options['com.docker.network.driver.mtu'] ? { mtu: Number(net.options['com.docker.network.driver.mtu']) } : {}),
  };
}

type Proto = 'tcp' | 'udp' | 'sctp';

/** "80/tcp" → [80, 'tcp']. */
function splitPort(key: string): [number, Proto] {
  const [p = '', proto = 'tcp'] = key.split('/');
  const n = Number(p);
  if (!Number.isInteger(n) || n < 1 || n > 65535) throw new InvalidArgument(`invalid port: ${key}`);
  if (proto !== 'tcp' && proto !== 'udp' && proto !== 'sctp') throw new InvalidArgument(`invalid protocol: ${proto}`);
  return [n, proto];
}

/**
 * The host ports of one start: -p bindings as given (an empty host port or a range picks a free
 * one), plus every EXPOSEd port with -P. A port held by another container of this daemon or by a
 * host process is refused with Docker's words.
 */
export async function resolvePorts(rec: ContainerRecord, takenByOthers: Set<string>, opts: { ipv6?: boolean } = {}): Promise<{ bound: Record<string, PortBinding[]>; mappings: PortMapping[] }> {
  const wanted: Record<string, PortBinding[]> = {};
  for (const [k, v] of Object.entries(rec.spec.networking.portBindings)) wanted[k] = v.length ? v : [{ hostIp: '', hostPort: '' }];
  if (rec.spec.networking.publishAll) for (const k of rec.spec.networking.exposedPorts) wanted[k] ??= [{ hostIp: '', hostPort: '' }];
  const bound: Record<string, PortBinding[]> = {};
  const mappings: PortMapping[] = [];
  const mine = new Set<string>();
  const taken = (ip: string, port: number, proto: Proto): boolean => {
    const keys = [`${ip}:${port}/${proto}`, `:${port}/${proto}`];
    if (ip === '' || ip === '0.0.0.0') return [...takenByOthers, ...mine].some((t) => t.endsWith(`:${port}/${proto}`));
    return keys.some((k) => takenByOthers.has(k) || mine.has(k));
  };
  for (const [key, list] of Object.entries(wanted)) {
    const [containerPort, proto] = splitPort(key);
    for (const b of list) {
      const ip = b.hostIp === '0.0.0.0' ? '' : b.hostIp.replace(/^\[(.*)\]$/, '$1');
      checkIpv6HostIp(ip, proto);
      let hostPort: number | undefined;
      const range = /^(\d+)-(\d+)$/.exec(b.hostPort);
      if (b.hostPort === '') {
        hostPort = await pickHostPort(ip, proto, (p) => taken(ip, p, proto));
        if (hostPort === undefined) throw new Conflict(`no free host port for ${key}`);
      } else if (range) {
        for (let p = Number(range[1]); p <= Number(range[2]) && hostPort === undefined; p++) if (!taken(ip, p, proto) && (await hostPortFree(ip, p, proto))) hostPort = p;
        if (hostPort === undefined) throw new Conflict(`Bind for ${ip || '0.0.0.0'}:${b.hostPort} failed: port is already allocated`);
      } else {
        hostPort = Number(b.hostPort);
        if (!Number.isInteger(hostPort) || hostPort < 1 || hostPort > 65535) throw new InvalidArgument(`invalid host port: ${b.hostPort}`);
        if (taken(ip, hostPort, proto) || !(await hostPortFree(ip, hostPort, proto))) throw new Conflict(`Bind for ${ip || '0.0.0.0'}:${hostPort} failed: port is already allocated`);
      }
      mine.add(`${ip}:${hostPort}/${proto}`);
      (bound[key] ??= []).push({ hostIp: ip || '0.0.0.0', hostPort: String(hostPort) });
      // On an IPv6 network a TCP port published on all addresses is bound on [::] too, as dockerd 28 shows it.
      if (ip === '' && opts.ipv6 && proto === 'tcp') (bound[key] ??= []).push({ hostIp: '::', hostPort: String(hostPort) });
      mappings.push({ hostPort, containerPort, protocol: proto, ...(ip ? { hostIP: ip } : {}) });
    }
  }
  return { bound, mappings };
}

/** An IPv6 host address of -p: relayed in berthd (see BridgeDriver.openIpv6Relays), for TCP only. */
function checkIpv6HostIp(ip: string, proto: Proto): void {
  if (!ip.includes(':')) return;
  if (!parseAddr(ip)?.v6) throw new InvalidArgument(`invalid host IP address in port binding: ${ip}`);
  if (proto !== 'tcp') throw new NotImplemented(`publishing a ${proto} port on IPv6 address ${ip} is not supported by berth: it relays only TCP over IPv6`);
}

/** Host ports held by running containers: "ip:port/proto" with '' for all addresses. */
export function portsInUse(containers: ContainerRecord[], except: string): Set<string> {
  const out = new Set<string>();
  for (const c of containers) {
    if (c.id === except || !c.ports) continue;
    for (const [key, list] of Object.entries(c.ports)) {
      const proto = key.split('/')[1] ?? 'tcp';
      for (const b of list) out.add(`${b.hostIp === '0.0.0.0' ? '' : b.hostIp}:${b.hostPort}/${proto}`);
    }
  }
  return out;
}

/** Attaches and detaches one container's endpoints; the records say what was made. */
export class EndpointManager {
  constructor(
    readonly driver: BridgeDriver,
    readonly netnsDir: string,
  ) {}

  netnsPath(containerId: string): string {
    return join(this.netnsDir, containerId);
  }

  async createSandbox(rec: ContainerRecord): Promise<string> {
    const path = this.netnsPath(rec.id);
    await removeNetns(path);
    await createNetns(path);
    return path;
  }

  /** The sandbox of a container whose own process made its namespace (see setUp's `netnsOf`). */
  async adoptSandbox(path: string, pid: number): Promise<void> {
    await removeNetns(path);
    await adoptNetns(path, pid);
  }

  async removeSandbox(path: string): Promise<void> {
    await removeNetns(path);
  }

  /** CNI ADD of one endpoint; fills in the endpoint's runtime fields. */
  async attach(rec: ContainerRecord, netns: string, net: NetworkRecord, ep: EndpointRecord, ifname: string, ports: PortMapping[]): Promise<void> {
    await enableIpForward(net.ipam6 !== undefined && !net.internal);
    const got = await this.driver.attach(bridgeConfig(net), {
      containerId: rec.id,
      netns,
      ifname,
      ...(ep.requestedIp ? { ip: ep.requestedIp } : {}),
      ...(ep.requestedIp6 ? { ip6: ep.requestedIp6 } : {}),
      ...(ep.linkLocalIps?.length ? { linkLocal: ep.linkLocalIps } : {}),
      ...(ep.requestedMac ? { mac: ep.requestedMac } : {}),
      ...(ports.length ? { ports } : {}),
    });
    Object.assign(ep, { endpointId: randomBytes(32).toString('hex'), ifname, ip: got.ip, prefixLen: got.prefixLen, gateway: got.gateway, mac: got.mac });
    if (got.ipv6) Object.assign(ep, { ip6: got.ipv6.ip, prefixLen6: got.ipv6.prefixLen, gateway6: got.ipv6.gateway });
  }

  /** CNI DEL of one endpoint (and its port mappings); clears the runtime fields. */
  async detach(rec: ContainerRecord, net: NetworkRecord | undefined, ep: EndpointRecord, ports: PortMapping[], opts: { namespaceGoes?: boolean } = {}): Promise<void> {
    if (net && ep.ifname) {
      await this.driver.detach(bridgeConfig(net), { containerId: rec.id, netns: rec.netns ?? '', ifname: ep.ifname, ...(ports.length ? { ports } : {}) }, opts);
    }
    delete ep.endpointId;
    delete ep.ifname;
    delete ep.ip;
    delete ep.prefixLen;
    delete ep.gateway;
    delete ep.mac;
    delete ep.ip6;
    delete ep.prefixLen6;
    delete ep.gateway6;
  }
}

/** The port mappings a running container holds, from its record (for CNI DEL). */
export function mappingsOf(rec: ContainerRecord): PortMapping[] {
  const out: PortMapping[] = [];
  for (const [key, list] of Object.entries(rec.ports ?? {})) {
    const [containerPort, proto] = splitPort(key);
    for (const b of list) {
      // The [::] twin of a port bound on all addresses is the same mapping.
      if (b.hostIp === '::' && list.some((o) => o.hostIp === '0.0.0.0' && o.hostPort === b.hostPort)) continue;
      out.push({ hostPort: Number(b.hostPort), containerPort, protocol: proto, ...(b.hostIp && b.hostIp !== '0.0.0.0' ? { hostIP: b.hostIp } : {}) });
    }
  }
  return out;
}
