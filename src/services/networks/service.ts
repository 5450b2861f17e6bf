import { randomBytes } from 'node:crypto';
import { Conflict, Forbidden, InvalidArgument, NotFound } from '../../errdefs/index.js';
import type { ContainerRecord, NetworkRecord, NetworkStore } from '../../core/metadata/index.js';
import type { EventBus } from '../../core/events/index.js';
import {
  contains,
  DnsResponder,
  firstHost,
  formatCidr,
  formatIp,
  hostRouteSubnets,
  overlaps,
  parseCidr,
  parseIp,
  pickSubnet,
  type AddressPool,
  type Subnet,
  type BridgeDriver,
} from '../../core/network/index.js';
import { networkMatches, validateNetworkFilters, type NetworkFilters } from './filters.js';
import { bridgeConfig } from './endpoints.js';
import { defaultBridgeIpv6, planIpv6, splitConfigs } from './ipam6.js';

export const PREDEFINED = ['bridge', 'host', 'none'] as const;

export interface NetworkServiceDeps {
  store: NetworkStore;
  /** Container records (read-only here; endpoint changes go through ContainerNetworking). */
  containers: () => ContainerRecord[];
  driver: BridgeDriver;
  bus?: EventBus;
  /** The default `bridge` network: its Linux bridge and --bip (gateway address with prefix). */
  defaultBridge: { name: string; bip: string; fixedCidrV6?: string };
  /** daemon.json default-address-pools, for networks created without --subnet. */
  pools: AddressPool[];
  /** dockerd 27+'s IPv6 pool when `pools` holds none: a unique local /48 derived from the engine id. */
  ulaPool?: AddressPool;
  log(msg: string, err?: unknown): void;
}

export interface NetworkCreateRequest {
  name: string;
  driver?: string;
  internal?: boolean;
  attachable?: boolean;
  enableIpv6?: boolean;
  ipam?: { subnet?: string; gateway?: string; ipRange?: string }[];
  options?: Record<string, string>;
  labels?: Record<string, string>;
}

/** A network with the containers that have an endpoint on it now. */
export interface NetworkView extends NetworkRecord {
  endpoints: { containerId: string; name: string; endpointId: string; mac: string; ipv4: string; ipv6: string }[];
}

const BRIDGE_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,14}$/;

/** The network use cases: the predefined networks, create, inspect, list, remove, prune, and the embedded DNS. */
export class NetworkService {
  readonly dns: DnsResponder;

  constructor(readonly deps: NetworkServiceDeps) {
    this.dns = new DnsResponder((ip, name, from) => this.#lookup(ip, name, from), deps.log);
  }

  #publish(net: NetworkRecord, action: string, extra: Record<string, string> = {}): void {
    this.deps.bus?.publish('network', action, net.id, { name: net.name, type: net.driver, ...extra });
  }

  publishEndpoint(net: NetworkRecord, action: 'connect' | 'disconnect', containerId: string): void {
    this.#publish(net, action, { container: containerId });
  }

  /** bridge, host and none exist on every start; --bip / --bridge changes apply to the existing bridge record. */
  async ensurePredefined(): Promise<void> {
    const bip = parseCidr(this.deps.defaultBridge.bip);
    if (bip.ip === bip.base) throw new InvalidArgument(`--bip ${this.deps.defaultBridge.bip}: give the bridge's address (e.g. 172.17.0.1/16), not the network's`);
    const bridgeName = this.deps.defaultBridge.name;
    if (!BRIDGE_NAME.test(bridgeName)) throw new InvalidArgument(`invalid bridge name: ${bridgeName}`);
    const ipam6 = this.deps.defaultBridge.fixedCidrV6 ? defaultBridgeIpv6(this.deps.defaultBridge.fixedCidrV6) : undefined;
    const want: NetworkRecord[] = [
      this.#record('bridge', 'bridge', {
        ipam: { subnet: formatCidr(bip), gateway: formatIp(bip.ip) },
        ...(ipam6 ? { enableIpv6: true, ipam6 } : {}),
        bridge: bridgeName,
        options: {
          'com.docker.network.bridge.default_bridge': 'true',
          'com.docker.network.bridge.enable_icc': 'true',
          'com.docker.network.bridge.enable_ip_masquerade': 'true',
          'com.docker.network.bridge.host_binding_ipv4': '0.0.0.0',
          'com.docker.network.bridge.name': bridgeName,
          'com.docker.network.driver.mtu': '1500',
        },
      }),
      this.#record('host', 'host', {}),
      this.#record('none', 'null', {}),
    ];
    for (const w of want) {
      const have = this.deps.store.list().find((n) => n.name === w.name);
      if (!have) this.deps.store.insert(w);
      else if (w.name === 'bridge' && (have.ipam?.subnet !== w.ipam?.subnet || have.ipam?.gateway !== w.ipam?.gateway || have.bridge !== w.bridge || have.ipam6?.subnet !== w.ipam6?.subnet)) {
        const { ipam6: _old, ...rest } = have;
        this.deps.store.update({ ...rest, ipam: w.ipam as NonNullable<NetworkRecord['ipam']>, bridge: bridgeName, options: w.options, enableIpv6: w.enableIpv6, ...(w.ipam6 ? { ipam6: w.ipam6 } : {}) });
      }
    }
    // The embedded DNS of user networks whose bridge is up (containers that outlived a restart).
    for (const n of this.deps.store.list()) if (!n.predefined) await this.listenDns(n).catch(() => undefined);
  }

  #record(name: string, driver: NetworkRecord['driver'], extra: Partial<NetworkRecord>): NetworkRecord {
    return {
      id: randomBytes(32).toString('hex'),
      name,
      created: new Date().toISOString(),
      driver,
      predefined: PREDEFINED.includes(name as never),
      internal: false,
      attachable: false,
      enableIpv6: false,
      options: {},
      labels: {},
      ...extra,
    };
  }

  /** The IPv6 default-address-pools, else dockerd's unique local /48 of this engine. */
  #pools6(): AddressPool[] {
    const v6 = this.deps.pools.filter((p) => p.base.includes(':'));
    return v6.length ? v6 : this.deps.ulaPool ? [this.deps.ulaPool] : [];
  }

  get(idOrName: string): NetworkRecord {
    return this.deps.store.resolve(idOrName);
  }

  list(filters: NetworkFilters = new Map()): NetworkRecord[] {
    validateNetworkFilters(filters);
    const containers = this.deps.containers();
    return this.deps.store.list().filter((n) => networkMatches(n, filters, containers.some((c) => c.networks?.[n.name]?.networkId === n.id)));
  }

  view(net: NetworkRecord): NetworkView {
    const endpoints: NetworkView['endpoints'] = [];
    for (const c of this.deps.containers()) {
      const ep = Object.values(c.networks ?? {}).find((e) => e.networkId === net.id);
      if (!ep?.endpointId) continue;
      endpoints.push({ containerId: c.id, name: c.name, endpointId: ep.endpointId, mac: ep.mac ?? '', ipv4: ep.ip ? `${ep.ip}/${ep.prefixLen ?? 0}` : '', ipv6: ep.ip6 ? `${ep.ip6}/${ep.prefixLen6 ?? 0}` : '' });
    }
    return { ...net, endpoints };
  }

  async create(req: NetworkCreateRequest): Promise<NetworkRecord> {
    const name = req.name.trim();
    if (!name) throw new InvalidArgument('network name is empty');
    if (!/^[a-zA-Z0-9][a-zA-Z0-9_.-]*$/.test(name)) throw new InvalidArgument(`invalid network name "${name}": only [a-zA-Z0-9][a-zA-Z0-9_.-] are allowed`);
    const driver = req.driver || 'bridge';
    if (driver === 'host' || driver === 'null') throw new Forbidden(`only one instance of "${driver}" network is allowed`);
    if (driver !== 'bridge') throw new NotFound(`plugin "${driver}" not found`);
    if (this.deps.store.list().some((n) => n.name === name)) throw new Conflict(`network with name ${name} already exists`);
    const { v4: cfg, v6 } = splitConfigs(req.ipam ?? [], req.enableIpv6 === true);
    const ipam6 = req.enableIpv6 ? planIpv6(v6 ?? {}, this.deps.store.list(), this.#pools6()) : undefined;
    const taken = this.deps.store.list().flatMap((n) => (n.ipam ? [parseCidr(n.ipam.subnet)] : []));
    let subnet: Subnet | undefined;
    if (cfg.subnet) {
      const asked = parseCidr(cfg.subnet);
      if (asked.ip !== asked.base) throw new InvalidArgument(`invalid subnet ${cfg.subnet}: it should be ${formatCidr(asked)}`);
      if (asked.prefix > 30) throw new InvalidArgument(`invalid subnet ${cfg.subnet}: too small for a gateway and a container`);
      if (taken.some((t) => overlaps(t, asked))) throw new Forbidden('Pool overlaps with other one on this address space');
      subnet = asked;
    } else {
      if (cfg.gateway || cfg.ipRange) throw new InvalidArgument('a gateway or ip-range needs a subnet (--subnet)');
      subnet = pickSubnet(this.deps.pools.filter((p) => !p.base.includes(':')), [...taken, ...(await hostRouteSubnets())]);
      if (!subnet) throw new Forbidden('could not find an available, non-overlapping IPv4 address pool among the defaults to assign to the network');
    }
    let gateway = firstHost(subnet);
    if (cfg.gateway) {
      const g = parseIp(cfg.gateway);
      if (g === undefined) throw new InvalidArgument(`invalid gateway address ${cfg.gateway}`);
      if (!contains(subnet, g) || g === subnet.base) throw new InvalidArgument(`no matching subnet for gateway ${cfg.gateway}`);
      gateway = g;
    }
    if (cfg.ipRange) {
      const r = parseCidr(cfg.ipRange);
      if (r.ip !== r.base || !contains(subnet, r.base) || r.prefix < subnet.prefix) throw new InvalidArgument(`invalid ip-range ${cfg.ipRange}: it must be a subnet of ${formatCidr(subnet)}`);
    }
    const options = { ...(req.options ?? {}) };
    const rec = this.#record(name, 'bridge', {
      internal: req.internal === true,
      attachable: req.attachable === true,
      ipam: { subnet: formatCidr(subnet), gateway: formatIp(gateway), ...(cfg.ipRange ? { ipRange: cfg.ipRange } : {}) },
      ...(ipam6 ? { enableIpv6: true, ipam6 } : {}),
      options,
      labels: req.labels ?? {},
    });
    const bridge = options['com.docker.network.bridge.name'] ?? `br-${rec.id.slice(0, 12)}`;
    if (!BRIDGE_NAME.test(bridge)) throw new InvalidArgument(`invalid bridge name: ${bridge} (at most 15 characters of [a-zA-Z0-9_.-])`);
    if (this.deps.store.list().some((n) => n.bridge === bridge)) throw new Conflict(`bridge ${bridge} is used by another network`);
    rec.bridge = bridge;
    this.deps.store.insert(rec);
    this.#publish(rec, 'create');
    return rec;
  }

  async remove(idOrName: string): Promise<void> {
    const net = this.get(idOrName);
    if (net.predefined) throw new Forbidden(`${net.name} is a pre-defined network and cannot be removed`);
    if (this.view(net).endpoints.length > 0) throw new Forbidden(`error while removing network: network ${net.name} id ${net.id} has active endpoints`);
    this.deps.store.delete(net.id);
    if (net.ipam) this.dns.close(net.ipam.gateway);
    // The rule before its bridge: a rule naming no bridge is what system check takes for a leftover.
    if (net.driver === 'bridge' && !net.internal) await this.deps.driver.masquerade(bridgeConfig(net), false).catch((e: unknown) => this.deps.log(`masquerade rule of ${net.name}`, e));
    if (net.bridge) await this.deps.driver.removeBridge(net.bridge);
    this.#publish(net, 'destroy');
  }

  /** Removes user networks no container refers to. */
  async prune(keep: (n: NetworkRecord) => boolean): Promise<string[]> {
    const used = new Set(this.deps.containers().flatMap((c) => Object.values(c.networks ?? {}).map((e) => e.networkId)));
    const removed: string[] = [];
    for (const n of this.deps.store.list()) {
      if (n.predefined || used.has(n.id) || keep(n)) continue;
      await this.remove(n.id);
      removed.push(n.name);
    }
    return removed;
  }

  /** Starts the embedded DNS on a user network once its bridge holds the gateway address. */
  async listenDns(net: NetworkRecord): Promise<void> {
    if (net.predefined || !net.ipam || !net.bridge) return;
    if (!(await this.deps.driver.bridgeExists(net.bridge))) return;
    await this.dns.listen(net.ipam.gateway);
  }

  /** Stops the embedded DNS (daemon stop); bridges stay for the containers that outlive berthd. */
  close(): void {
    this.dns.closeAll();
  }

  /** Docker's embedded DNS names: container name, network aliases, short id, each also as NAME.NETWORK. */
  #lookup(listenIp: string, name: string, from?: string): { v4: string[]; v6: string[] } | undefined {
    const net = this.deps.store.list().find((n) => !n.predefined && n.ipam?.gateway === listenIp);
    if (!net) return undefined;
    const suffix = `.${net.name.toLowerCase()}`;
    let bare = name.endsWith(suffix) ? name.slice(0, -suffix.length) : name;
    const all = this.deps.containers();
    // A --link alias is the asking container's own name for its target (dockerd's sandbox-local alias).
    const asker = from === undefined ? undefined : all.find((c) => c.networks?.[net.name]?.ip === from && c.networks[net.name]?.networkId === net.id);
    const link = asker?.networks?.[net.name]?.links?.find((l) => l.alias.toLowerCase() === bare);
    if (link) bare = link.name.replace(/^\//, '').toLowerCase();
    const out = { v4: [] as string[], v6: [] as string[] };
    for (const c of all) {
      const ep = c.networks?.[net.name];
      if (!ep?.ip || ep.networkId !== net.id) continue;
      if (!dnsNames(c, ep.aliases).some((n) => n.toLowerCase() === bare)) continue;
      out.v4.push(ep.ip);
      if (ep.ip6) out.v6.push(ep.ip6);
    }
    return out.v4.length ? out : undefined;
  }
}

/** The names a container answers to on a user-defined network (inspect's DNSNames). */
export function dnsNames(c: ContainerRecord, aliases: string[]): string[] {
  return [...new Set([c.name, ...aliases, c.id.slice(0, 12)])];
}
