import { stat } from 'node:fs/promises';
import { Conflict, Forbidden, InvalidArgument, NotFound } from '../../errdefs/index.js';
import type { ContainerRecord, EndpointRecord, NetworkRecord } from '../../core/metadata/index.js';
import { contains, parseCidr, parseIp, type BridgeDriver, type PortMapping } from '../../core/network/index.js';
import type { NetnsChoice } from '../../core/runtime/index.js';
import { EndpointManager, mappingsOf, portsInUse, resolvePorts } from './endpoints.js';
import { hostsFile, resolvConf } from './etc-files.js';
import { checkIp6, checkLinkLocal } from './ipam6.js';
import type { NetworkService } from './service.js';

/** What a create asks of one network (Docker's EndpointSettings, camelCase). */
export interface EndpointRequest {
  aliases?: string[];
  ip?: string;
  /** --ip6 (IPAMConfig.IPv6Address) */
  ip6?: string;
  /** --link-local-ip (IPAMConfig.LinkLocalIPs) */
  linkLocalIps?: string[];
  mac?: string;
  /** --link on a user network: `alias` resolves to container `name`, for this container only. */
  links?: { name: string; alias: string }[];
}

/** /etc/hosts and /etc/resolv.conf of one start. */
export interface EtcFiles {
  hosts: string;
  resolv: string;
}

/** The network a start prepared: the namespace for the spec now, the files once the endpoints are made. */
export interface PreparedNetwork {
  mode: NetnsChoice;
  files: Promise<EtcFiles>;
}

/** Container records as this module may touch them: always under the container's own lock. */
export interface ContainerAccess {
  get(idOrName: string): ContainerRecord;
  list(): ContainerRecord[];
  update(rec: ContainerRecord): void;
  locked<T>(id: string, fn: () => Promise<T>): Promise<T>;
  /** Rewrites the container's resolv.conf in place: the running container sees it through its bind mount. */
  writeResolvConf(id: string, text: string): Promise<void>;
}

/** `default` is the daemon's default network: bridge, as in Docker. */
export function networkName(mode: string): string {
  return mode === 'default' || mode === '' ? 'bridge' : mode;
}

/**
 * The container side of networking: endpoints planned at create, made at start (namespace, CNI ADD,
 * published ports, /etc/hosts, resolv.conf), removed when the container stops; connect and
 * disconnect of created, running and stopped containers.
 */
export class ContainerNetworking {
  readonly endpoints: EndpointManager;

  constructor(
    readonly networks: NetworkService,
    driver: BridgeDriver,
    netnsDir: string,
    readonly containers: ContainerAccess,
  ) {
    this.endpoints = new EndpointManager(driver, netnsDir);
  }

  /** At create: resolves --network and NetworkingConfig into the record's endpoints; refuses what cannot work. */
  plan(rec: ContainerRecord, requests: Record<string, EndpointRequest>): void {
    const mode = rec.spec.networking.network;
    const ns = rec.spec.namespaces.network;
    if (ns.mode === 'path') {
      // A pod's namespace, networked by its sandbox: the container has no endpoints of its own.
      rec.networks = {};
      return;
    }
    if (ns.mode === 'container') {
      const other = this.#container(ns.target ?? '');
      if (other.id === rec.id) throw new InvalidArgument('cannot join own network namespace');
      rec.networks = {};
      return;
    }
    let net: NetworkRecord;
    try {
      net = this.networks.get(networkName(mode));
    } catch (e) {
      // A 404 would make the docker CLI think the image is missing and try to pull it.
      if (e instanceof NotFound) throw new InvalidArgument(`network ${mode} not found`, { cause: e });
      throw e;
    }
    const eps: Record<string, EndpointRecord> = {};
    const first = requests[mode] ?? requests[net.name] ?? requests[net.id] ?? {};
    eps[net.name] = this.#endpoint(net, first);
    for (const [key, req] of Object.entries(requests)) {
      if (key === mode || key === net.name || key === net.id) continue;
      if (net.driver !== 'bridge') throw new InvalidArgument(`container cannot be connected to ${net.name} and ${key}`);
      const other = this.networks.get(key);
      eps[other.name] = this.#endpoint(other, req);
    }
    rec.networks = eps;
  }

  #container(idOrName: string): ContainerRecord {
    try {
      return this.containers.get(idOrName);
    } catch (e) {
      if (e instanceof NotFound) throw new InvalidArgument(`${e.message} (in --network container:)`, { cause: e });
      throw e;
    }
  }

  #endpoint(net: NetworkRecord, req: EndpointRequest): EndpointRecord {
    const aliases = (req.aliases ?? []).filter((a) => a !== '');
    if (net.driver !== 'bridge' && (aliases.length || req.ip || req.mac)) throw new InvalidArgument(`network ${net.name} takes no aliases, IP or MAC address`);
    const links = req.links ?? [];
    if (links.length && net.predefined) throw new InvalidArgument(`network ${net.name} takes no endpoint links: legacy links to the default bridge are made when the container is created (--link)`);
    if (net.name === 'bridge' && aliases.length) throw new InvalidArgument('network-scoped alias is supported only for containers in user defined networks');
    if (req.ip) {
      const ip = parseIp(req.ip);
      if (ip === undefined) throw new InvalidArgument(`invalid IPv4 address: ${req.ip}`);
      if (net.name === 'bridge') throw new InvalidArgument('user specified IP address is supported on user defined networks only');
      if (!net.ipam || !contains(parseCidr(net.ipam.subnet), ip)) throw new InvalidArgument(`invalid address ${req.ip}: it does not belong to any of this network's subnets`);
    }
    if (req.mac && !/^([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}$/.test(req.mac)) throw new InvalidArgument(`invalid MAC address: ${req.mac}`);
    const ip6 = req.ip6 ? checkIp6(net, req.ip6) : undefined;
    const linkLocal = (req.linkLocalIps ?? []).filter((a) => a !== '').map((a) => checkLinkLocal(net, a));
    return {
      networkId: net.id,
      aliases,
      ...(links.length ? { links } : {}),
      ...(req.ip ? { requestedIp: req.ip } : {}),
      ...(ip6 ? { requestedIp6: ip6 } : {}),
      ...(linkLocal.length ? { linkLocalIps: linkLocal } : {}),
      ...(req.mac ? { requestedMac: req.mac } : {}),
    };
  }

  #bridgeEndpoints(rec: ContainerRecord): [NetworkRecord, EndpointRecord][] {
    const out: [NetworkRecord, EndpointRecord][] = [];
    for (const [name, ep] of Object.entries(rec.networks ?? {})) {
      let net: NetworkRecord;
      try {
        net = this.networks.get(ep.networkId);
      } catch (e) {
        if (e instanceof NotFound) throw new NotFound(`network ${name} not found`, { cause: e });
        throw e;
      }
      if (net.driver === 'bridge') out.push([net, ep]);
    }
    // The network the container was created on first: it is eth0, its ports are published.
    const primary = networkName(rec.spec.networking.network);
    return out.sort(([a], [b]) => (a.name === primary ? -1 : b.name === primary ? 1 : a.name.localeCompare(b.name)));
  }

  /**
   * At start (under the container's lock): the namespace and the host ports at once; the endpoints
   * (CNI ADD) in `files`, which the caller awaits while runc creates the container, so the two
   * overlap. Undoes itself on failure.
   */
  /**
   * `netnsOf`: for a container in its own user namespace, runc makes the network namespace (only a
   * namespace owned by the container's user namespace lets it mount sysfs, set net sysctls and
   * exec into it); the endpoints are attached once runc has created it, given its pid.
   */
  async setUp(rec: ContainerRecord, opts: { netnsOf?: Promise<number>; linkHosts?: { ip: string; names: string }[] } = {}): Promise<PreparedNetwork> {
    const mode = rec.spec.networking.network;
    const dns = rec.spec.networking.dns;
    const extra = rec.spec.networking.extraHosts;
    const settled = (f: Promise<EtcFiles>): Promise<EtcFiles> => {
      // Awaited by the caller; this handler only keeps an early failure from counting as unhandled.
      f.catch(() => undefined);
      return f;
    };
    if (mode === 'host' || mode === 'none') {
      return { mode: { mode }, files: settled(resolvConf(dns, undefined).then((resolv) => ({ hosts: hostsFile({ hostname: rec.spec.networking.hostname, extraHosts: extra }), resolv }))) };
    }
    const ns = rec.spec.namespaces.network;
    if (ns.mode === 'path' && ns.path) {
      return { mode: { mode: 'path', netnsPath: ns.path }, files: settled(resolvConf(dns, undefined).then((resolv) => ({ hosts: hostsFile({ hostname: rec.spec.networking.hostname, extraHosts: extra }), resolv }))) };
    }
    if (ns.mode === 'container') {
      const other = this.#container(ns.target ?? '');
      if (other.state.status !== 'running' && other.state.status !== 'paused') throw new Conflict(`cannot join network of a non running container: ${other.id}`);
      const ep = Object.values(other.networks ?? {}).find((e) => e.ip);
      const userNet = ep && this.networks.get(ep.networkId).predefined === false;
      return {
        mode: other.netns ? { mode: 'path', netnsPath: other.netns } : other.spec.namespaces.network.mode === 'host' ? { mode: 'host' } : { mode: 'path', netnsPath: `/proc/${other.state.pid}/ns/net` },
        files: settled(resolvConf(dns, userNet ? ep?.gateway : undefined).then((resolv) => ({ hosts: hostsFile({ hostname: rec.spec.networking.hostname, extraHosts: extra, ...(ep?.ip ? { ip: ep.ip } : {}) }), resolv }))),
      };
    }
    const eps = this.#bridgeEndpoints(rec);
    const owned = opts.netnsOf;
    const netns = owned ? this.endpoints.netnsPath(rec.id) : await this.endpoints.createSandbox(rec);
    rec.netns = netns;
    let mappings: PortMapping[];
    try {
      // Ports are published on the first network: on [::] too when it has IPv6.
      const ports = await resolvePorts(rec, portsInUse(this.containers.list(), rec.id), { ipv6: eps[0]?.[0].ipam6 !== undefined });
      rec.ports = ports.bound;
      mappings = ports.mappings;
    } catch (e) {
      await this.tearDown(rec).catch(() => undefined);
      throw e;
    }
    const files = async (): Promise<EtcFiles> => {
      try {
        if (owned) await this.endpoints.adoptSandbox(netns, await owned);
        for (const [i, [net, ep]] of eps.entries()) {
          await this.endpoints.attach(rec, netns, net, ep, `eth${i}`, i === 0 ? mappings : []);
          await this.networks.listenDns(net).catch((e: unknown) => this.networks.deps.log(`embedded DNS on ${net.name}`, e));
        }
      } catch (e) {
        await this.tearDown(rec).catch(() => undefined);
        throw e;
      }
      for (const [net] of eps) this.networks.publishEndpoint(net, 'connect', rec.id);
      // The embedded DNS finds the asker of a --link alias by its address: store it before the process can ask.
      if (eps.some(([, ep]) => ep.links?.length)) this.containers.update(rec);
      const [, primary] = eps[0] ?? [];
      const embedded = this.#embedded(rec);
      return {
        hosts: hostsFile({ hostname: rec.spec.networking.hostname, domainname: rec.spec.networking.domainname, extraHosts: extra, links: opts.linkHosts ?? [], ...(primary?.ip ? { ip: primary.ip } : {}), ...(primary?.ip6 ? { ip6: primary.ip6 } : {}), ...(primary?.gateway ? { gateway: primary.gateway } : {}) }),
        resolv: await resolvConf(dns, embedded),
      };
    };
    return { mode: owned ? { mode: 'none' } : { mode: 'path', netnsPath: netns }, files: settled(files()) };
  }

  /** At berthd's start: the IPv6 port relays of the running containers (they lived in the berthd before). */
  async restoreIpv6Relays(): Promise<void> {
    for (const rec of this.containers.list()) {
      if ((rec.state.status !== 'running' && rec.state.status !== 'paused') || !rec.netns || !rec.ports) continue;
      const ep = Object.values(rec.networks ?? {}).find((e) => e.ifname === 'eth0');
      if (!ep?.ip) continue;
      await this.endpoints.driver.openIpv6Relays(rec.id, 'eth0', ep.ip6 ?? ep.ip, mappingsOf(rec)).catch((e: unknown) => this.networks.deps.log(`IPv6 ports of ${rec.id}`, e));
    }
  }

  /** After the container stopped: CNI DEL of each endpoint, then the namespace. Safe to repeat. */
  async tearDown(rec: ContainerRecord): Promise<void> {
    const path = rec.netns ?? this.endpoints.netnsPath(rec.id);
    // portmap's DEL finds its rules by container and network, but runs only when given some mapping:
    // a record that lost what its start made gets one, so that rules it may have are found.
    let mappings = rec.ports ? mappingsOf(rec) : [];
    // A record that lost what its start made (a berthd killed mid-start): its interfaces are deleted
    // here, not left to the namespace's end, so that nothing of it outlives this call.
    const stale = !rec.netns;
    if (!rec.netns) {
      mappings = rec.ports ? mappings : [{ hostPort: 1, containerPort: 1, protocol: 'tcp' as const }];
      // A record written from a stale copy lost what the start made: rebuild it as setUp names things.
      if (!(await stat(path).catch(() => undefined))) return;
      rec.netns = path;
      try {
        for (const [i, [, ep]] of this.#bridgeEndpoints(rec).entries()) ep.ifname = `eth${i}`;
      } catch {
        /* a network is gone: its endpoints cannot be named */
      }
    }
    let first = true;
    const errors: unknown[] = [];
    for (const [name, ep] of Object.entries(rec.networks ?? {}).sort(([, a], [, b]) => (a.ifname ?? '').localeCompare(b.ifname ?? ''))) {
      if (!ep.ifname) continue;
      const net = this.#networkOrUndefined(ep.networkId);
      // The namespace goes next, and its interfaces with it: the kernel removes them in the background.
      await this.endpoints.detach(rec, net, ep, first ? mappings : [], { namespaceGoes: !stale }).catch((e: unknown) => errors.push(e));
      first = false;
      if (net) this.networks.publishEndpoint(net, 'disconnect', rec.id);
      else this.networks.deps.log(`network ${name} of ${rec.id} is gone`);
    }
    await this.endpoints.removeSandbox(path);
    delete rec.netns;
    delete rec.ports;
    if (errors.length) this.networks.deps.log(`network teardown of ${rec.id}`, errors[0]);
  }

  #networkOrUndefined(id: string): NetworkRecord | undefined {
    try {
      return this.networks.get(id);
    } catch {
      return undefined;
    }
  }

  /**
   * The embedded resolver a running container asks: its first network's when that is a user network
   * (as at start), else that of a user network it was connected to later (Docker gives a bridge
   * container the embedded DNS on connect), else none (the host's resolvers).
   */
  #embedded(rec: ContainerRecord): string | undefined {
    const up = this.#bridgeEndpoints(rec).filter(([, ep]) => ep.ifname !== undefined && ep.gateway);
    const primaryName = networkName(rec.spec.networking.network);
    const [primaryNet, primary] = up.find(([n]) => n.name === primaryName) ?? [];
    if (primaryNet && !primaryNet.predefined) return primary?.gateway;
    return up.find(([n]) => !n.predefined)?.[1].gateway;
  }

  /** After a connect or disconnect: resolv.conf names the resolver that now serves the container's networks. */
  async #refreshResolver(rec: ContainerRecord, before: string | undefined): Promise<void> {
    const now = this.#embedded(rec);
    if (now === before) return;
    await this.containers.writeResolvConf(rec.id, await resolvConf(rec.spec.networking.dns, now));
  }

  /** docker network connect: on the record, and at once on a running container (ethN). */
  async connect(netIdOrName: string, containerIdOrName: string, req: EndpointRequest): Promise<void> {
    const net = this.networks.get(netIdOrName);
    const c0 = this.containers.get(containerIdOrName);
    await this.containers.locked(c0.id, async () => {
      const rec = this.containers.get(c0.id);
      const mode = rec.spec.networking.network;
      if (net.driver !== 'bridge') throw new Forbidden(`container cannot be disconnected from host network or connected to host network`);
      if (rec.spec.namespaces.network.mode !== 'private' || mode === 'none') {
        throw new Forbidden('container sharing network namespace with another container or host cannot be connected to any other network');
      }
      if (rec.networks?.[net.name]) throw new Forbidden(`endpoint with name ${rec.name} already exists in network ${net.name}`);
      const ep = this.#endpoint(net, req);
      const running = rec.state.status === 'running' || rec.state.status === 'paused';
      if (running && rec.netns) {
        const used = new Set(Object.values(rec.networks ?? {}).map((e) => e.ifname));
        let i = 0;
        while (used.has(`eth${i}`)) i++;
        // A connect cut short (berthd killed between CNI ADD and the record) left ethN and its
        // address behind: CNI DEL, a no-op otherwise, clears them so this ADD does not find them.
        await this.endpoints.detach(rec, net, { ...ep, ifname: `eth${i}` }, []).catch(() => undefined);
        await this.endpoints.attach(rec, rec.netns, net, ep, `eth${i}`, []);
        await this.networks.listenDns(net).catch((e: unknown) => this.networks.deps.log(`embedded DNS on ${net.name}`, e));
      }
      const before = this.#embedded(rec);
      rec.networks = { ...(rec.networks ?? {}), [net.name]: ep };
      this.containers.update(rec);
      if (running) {
        await this.#refreshResolver(rec, before);
        this.networks.publishEndpoint(net, 'connect', rec.id);
      }
    });
  }

  /** docker network disconnect: CNI DEL on a running container, then off the record. */
  async disconnect(netIdOrName: string, containerIdOrName: string, force: boolean): Promise<void> {
    const net = this.networks.get(netIdOrName);
    let c0: ContainerRecord;
    try {
      c0 = this.containers.get(containerIdOrName);
    } catch (e) {
      if (force && e instanceof NotFound) return;
      throw e;
    }
    await this.containers.locked(c0.id, async () => {
      const rec = this.containers.get(c0.id);
      const ep = rec.networks?.[net.name];
      if (!ep || ep.networkId !== net.id) throw new Forbidden(`container ${rec.id} is not connected to network ${net.name}`);
      if (net.driver !== 'bridge') throw new Forbidden('container cannot be disconnected from host network or connected to host network');
      const wasUp = ep.ifname !== undefined;
      const primary = ep.ifname === 'eth0';
      const before = this.#embedded(rec);
      await this.endpoints.detach(rec, net, ep, primary ? mappingsOf(rec) : []);
      if (primary) delete rec.ports;
      const rest = { ...(rec.networks ?? {}) };
      delete rest[net.name];
      rec.networks = rest;
      this.containers.update(rec);
      if (wasUp) {
        await this.#refreshResolver(rec, before);
        this.networks.publishEndpoint(net, 'disconnect', rec.id);
      }
    });
  }
}
