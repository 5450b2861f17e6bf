import { Internal, InvalidArgument, NotFound } from '../../errdefs/index.js';
import type { ContainerLink, ContainerRecord, ContainerSpec } from '../../core/metadata/index.js';

/** One --link as asked: container `name` seen as `alias`. */
export interface LinkRequest {
  name: string;
  alias: string;
}

/** A line of the parent's /etc/hosts for one link: the target's address and the names it answers to. */
export interface LinkHost {
  ip: string;
  names: string;
}

const HOST_CONFLICT = "conflicting options: host type networking can't be used with links. This would result in undefined behavior";
const CONTAINER_CONFLICT = "conflicting options: container type network can't be used with links. This would result in undefined behavior";

/** Whether a network mode is a user-defined network (links there are name resolution, not legacy links). */
export function isUserNetwork(mode: string): boolean {
  return !['', 'default', 'bridge', 'host', 'none'].includes(mode);
}

/**
 * At create, as dockerd registers links: on the default bridge each target must exist and not use
 * the host's network; the record keeps it by id. `--network host` or `container:` refuse links.
 */
export function planLinks(spec: ContainerSpec, requests: LinkRequest[], get: (idOrName: string) => ContainerRecord): ContainerLink[] {
  if (!requests.length) return [];
  const mode = spec.networking.network;
  if (spec.namespaces.network.mode === 'host') throw new InvalidArgument(HOST_CONFLICT);
  if (spec.namespaces.network.mode === 'container') throw new InvalidArgument(CONTAINER_CONFLICT);
  if (mode === 'none' || isUserNetwork(mode)) return [];
  const out: ContainerLink[] = [];
  for (const r of requests) {
    let target: ContainerRecord;
    try {
      target = get(r.name);
    } catch (e) {
      // dockerd answers 404; berth says 400, or the docker CLI would take it for a missing image and pull.
      if (e instanceof NotFound) throw new InvalidArgument(`could not get container for ${r.name}: ${e.message}`, { cause: e });
      throw e;
    }
    if (target.spec.namespaces.network.mode === 'host') throw new InvalidArgument(HOST_CONFLICT);
    const i = out.findIndex((l) => l.alias === r.alias);
    if (i >= 0) out.splice(i, 1);
    out.push({ targetId: target.id, alias: r.alias });
  }
  return out;
}

/** The targets of a container's links that still exist (a removed target drops its links, as in dockerd). */
export function linkTargets(rec: ContainerRecord, get: (id: string) => ContainerRecord | undefined): { link: ContainerLink; target: ContainerRecord }[] {
  const out: { link: ContainerLink; target: ContainerRecord }[] = [];
  for (const link of rec.spec.networking.links ?? []) {
    const target = get(link.targetId);
    if (target) out.push({ link, target });
  }
  return out;
}

/**
 * At start: the environment and /etc/hosts lines of the legacy links. Every target must be on the
 * default bridge and running, with dockerd's messages.
 */
export function linkRuntime(rec: ContainerRecord, get: (id: string) => ContainerRecord | undefined): { env: string[]; hosts: LinkHost[] } {
  const env: string[] = [];
  const hosts: LinkHost[] = [];
  for (const { link, target } of linkTargets(rec, get)) {
    const linkName = `/${rec.name}/${link.alias}`;
    const bridge = target.networks?.['bridge'];
    if (!bridge) throw new Internal(`Cannot link to /${target.name}, as it does not belong to the default network`);
    if (target.state.status !== 'running' && target.state.status !== 'paused') throw new Internal(`Cannot link to a non running container: /${target.name} AS ${linkName}`);
    if (!bridge.ip) throw new Internal(`container ${target.id} not attached to default bridge network`);
    env.push(...linkEnv(linkName, bridge.ip, target.spec.networking.exposedPorts, target.spec.process.env));
    hosts.push({ ip: bridge.ip, names: [link.alias, target.spec.networking.hostname, ...(link.alias !== target.name ? [target.name] : [])].join(' ') });
  }
  return { env, hosts };
}

/**
 * The variables Docker gives a container for one link: ALIAS_PORT (the first port, TCP first),
 * ALIAS_PORT_<n>_<PROTO>[_ADDR|_PORT|_PROTO] for each port, _START/_END for consecutive ranges,
 * ALIAS_NAME, and ALIAS_ENV_<X> for the target's env except HOME and PATH.
 */
export function linkEnv(linkName: string, ip: string, exposedPorts: string[], targetEnv: string[]): string[] {
  const alias = (linkName.split('/').pop() ?? '').toUpperCase().replaceAll('-', '_');
  const ports = exposedPorts
    .map((k) => {
      const [num, proto] = k.split('/');
      return { num: Number(num), proto: proto || 'tcp' };
    })
    .filter((p) => Number.isInteger(p.num))
    .sort((a, b) => (a.proto === b.proto ? a.num - b.num : a.proto === 'tcp' ? -1 : b.proto === 'tcp' ? 1 : a.proto.localeCompare(b.proto)));
  const env: string[] = [];
  const url = (p: { num: number; proto: string }): string => `${p.proto}://${ip}:${p.num}`;
  let start = ports[0];
  let end = ports[0];
  for (const [i, p] of ports.entries()) {
    if (i === 0) env.push(`${alias}_PORT=${url(p)}`);
    const prefix = `${alias}_PORT_${p.num}_${p.proto.toUpperCase()}`;
    env.push(`${prefix}=${url(p)}`, `${prefix}_ADDR=${ip}`, `${prefix}_PORT=${p.num}`, `${prefix}_PROTO=${p.proto}`);
    if (start && end && i > 0 && p.num === end.num + 1 && p.proto === end.proto) {
      end = p;
      if (i < ports.length - 1) continue;
    }
    if (start && end && (start.num !== end.num || start.proto !== end.proto)) {
      const rp = `${alias}_PORT_${start.num}_${start.proto.toUpperCase()}`;
      env.push(`${rp}_START=${url(start)}`, `${rp}_PORT_START=${start.num}`, `${rp}_END=${url(end)}`, `${rp}_PORT_END=${end.num}`);
    }
    start = p;
    end = p;
  }
  env.push(`${alias}_NAME=${linkName}`);
  for (const kv of targetEnv) {
    const eq = kv.indexOf('=');
    if (eq < 0) continue;
    const name = kv.slice(0, eq);
    if (name === 'HOME' || name === 'PATH') continue;
    env.push(`${alias}_ENV_${name}=${kv.slice(eq + 1)}`);
  }
  return env;
}

/** The link names (`/parent/alias`) under which each container is known, by target id (ps Names). */
export function linkNamesByTarget(all: ContainerRecord[]): Map<string, string[]> {
  const out = new Map<string, string[]>();
  const exists = new Set(all.map((c) => c.id));
  for (const parent of all) {
    for (const l of parent.spec.networking.links ?? []) {
      if (!exists.has(l.targetId)) continue;
      out.set(l.targetId, [...(out.get(l.targetId) ?? []), `/${parent.name}/${l.alias}`]);
    }
  }
  return out;
}

/**
 * The container a link name (`/parent/alias`) stands for: `get` finds the parent by name (NotFound
 * for an unknown one), `lookup` a record by id. An unknown parent or alias is NotFound as for an
 * unknown container name.
 */
export function resolveLinkName(
  linkName: string,
  get: (name: string) => ContainerRecord,
  lookup: (id: string) => ContainerRecord | undefined,
): { parent: ContainerRecord; alias: string; target: ContainerRecord } {
  const n = linkName.replace(/^\/+/, '');
  const slash = n.lastIndexOf('/');
  const notFound = new NotFound(`No such container: ${linkName}`);
  if (slash <= 0) throw notFound;
  let parent: ContainerRecord;
  try {
    parent = get(n.slice(0, slash));
  } catch (e) {
    if (e instanceof NotFound) throw notFound;
    throw e;
  }
  const alias = n.slice(slash + 1);
  const found = linkTargets(parent, lookup).find((t) => t.link.alias === alias);
  if (!found) throw notFound;
  return { parent, alias, target: found.target };
}
