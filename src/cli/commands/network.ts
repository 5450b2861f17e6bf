import { parseFilters, type ContainerInspect, type Network, type NetworkCreateRequest } from '../../api/index.js';
import { InvalidArgument } from '../../errdefs/index.js';
import type { CliContext } from '../context.js';
import { renderFormat } from '../format/formatter.js';
import { forEach } from './containers.js';
import { getOrNoSuch, inspectEach } from './inspect.js';
import { confirm } from './prompt.js';

const enc = encodeURIComponent;

const DEFAULT_FORMAT = 'table {{.ID}}\t{{.Name}}\t{{.Driver}}\t{{.Scope}}';
const HEADERS: Record<string, string> = { ID: 'NETWORK ID', Name: 'NAME', Driver: 'DRIVER', Scope: 'SCOPE', IPv6: 'IPV6', Internal: 'INTERNAL', Labels: 'LABELS', CreatedAt: 'CREATED AT' };

function keyValues(flags: readonly string[]): Record<string, string> {
  return Object.fromEntries(flags.map((f) => (f.includes('=') ? [f.slice(0, f.indexOf('=')), f.slice(f.indexOf('=') + 1)] : [f, ''])));
}

export async function networkCreate(
  ctx: CliContext,
  name: string,
  opts: { driver?: string; subnet?: string[]; gateway?: string[]; ipRange?: string[]; internal?: boolean; attachable?: boolean; label?: string[]; opt?: string[]; ipv6?: boolean },
): Promise<number> {
  const subnets = opts.subnet ?? [];
  if ((opts.gateway ?? []).length > subnets.length || (opts.ipRange ?? []).length > subnets.length) throw new InvalidArgument('every ip-range or gateway must have a corresponding subnet');
  const body: NetworkCreateRequest = {
    Name: name,
    Driver: opts.driver ?? 'bridge',
    Internal: opts.internal === true,
    Attachable: opts.attachable === true,
    EnableIPv6: opts.ipv6 === true,
    IPAM: { Driver: 'default', Config: subnets.map((s, i) => ({ Subnet: s, ...(opts.gateway?.[i] ? { Gateway: opts.gateway[i] } : {}), ...(opts.ipRange?.[i] ? { IPRange: opts.ipRange[i] } : {}) })) },
    Options: keyValues(opts.opt ?? []),
    Labels: keyValues(opts.label ?? []),
  };
  const api = await ctx.api();
  const r = await api.client.json<{ Id: string }>('POST', '/networks/create', { body });
  ctx.out(`${r.Id}\n`);
  return 0;
}

export async function networkList(ctx: CliContext, opts: { quiet?: boolean; filter?: string[]; format?: string; noTrunc?: boolean }): Promise<number> {
  const api = await ctx.api();
  const list = await api.client.json<Network[]>('GET', '/networks', { query: { filters: JSON.stringify(parseFilters(opts.filter ?? [])) } });
  list.sort((a, b) => a.Name.localeCompare(b.Name));
  const rows = list.map((n) => ({
    ID: opts.noTrunc ? n.Id : n.Id.slice(0, 12),
    Name: n.Name,
    Driver: n.Driver,
    Scope: n.Scope,
    IPv6: String(n.EnableIPv6),
    Internal: String(n.Internal),
    Labels: Object.entries(n.Labels ?? {}).map(([k, v]) => `${k}=${v}`).join(','),
    CreatedAt: n.Created,
  }));
  const format = opts.quiet ? '{{.ID}}' : !opts.format || opts.format === 'table' ? DEFAULT_FORMAT : opts.format;
  if (format === 'json') for (const r of rows) ctx.out(`${JSON.stringify(r)}\n`);
  else ctx.out(renderFormat(format, rows, HEADERS));
  return 0;
}

export function networkInspect(ctx: CliContext, names: string[], opts: { format?: string }): Promise<number> {
  return inspectEach(ctx, names, opts.format, (api, name) => getOrNoSuch<Network>(api, `/networks/${enc(name)}`, 'network', name));
}

export function networkRemove(ctx: CliContext, names: string[]): Promise<number> {
  return forEach(ctx, names, async (api, name) => {
    await api.client.call('DELETE', `/networks/${enc(name)}`);
  });
}

export async function networkPrune(ctx: CliContext, opts: { force?: boolean; filter?: string[] }): Promise<number> {
  if (!opts.force && !(await confirm(ctx, 'WARNING! This will remove all custom networks not used by at least one container.'))) return 0;
  const api = await ctx.api();
  const r = await api.client.json<{ NetworksDeleted: string[] | null }>('POST', '/networks/prune', { query: { filters: JSON.stringify(parseFilters(opts.filter ?? [])) } });
  if (r.NetworksDeleted?.length) ctx.out(`Deleted Networks:\n${r.NetworksDeleted.map((n) => `${n}\n`).join('')}`);
  return 0;
}

export async function networkConnect(ctx: CliContext, network: string, container: string, opts: { alias?: string[]; ip?: string; ip6?: string; linkLocalIp?: string[] }): Promise<number> {
  const api = await ctx.api();
  const ipam = { ...(opts.ip ? { IPv4Address: opts.ip } : {}), ...(opts.ip6 ? { IPv6Address: opts.ip6 } : {}), ...(opts.linkLocalIp?.length ? { LinkLocalIPs: opts.linkLocalIp } : {}) };
  await api.client.call('POST', `/networks/${enc(network)}/connect`, {
    body: { Container: container, EndpointConfig: { Aliases: opts.alias ?? [], ...(Object.keys(ipam).length ? { IPAMConfig: ipam } : {}) } },
  });
  return 0;
}

export async function networkDisconnect(ctx: CliContext, network: string, container: string, opts: { force?: boolean }): Promise<number> {
  const api = await ctx.api();
  await api.client.call('POST', `/networks/${enc(network)}/disconnect`, { body: { Container: container, Force: opts.force === true } });
  return 0;
}

/** `port CONTAINER [PRIVATE_PORT[/PROTO]]`, printed as the docker CLI does. */
export async function port(ctx: CliContext, container: string, which: string | undefined): Promise<number> {
  const api = await ctx.api();
  const c = await api.client.json<ContainerInspect>('GET', `/containers/${enc(container)}/json`);
  const ports = c.NetworkSettings.Ports ?? {};
  if (which !== undefined) {
    const key = which.includes('/') ? which : `${which}/tcp`;
    const list = ports[key];
    if (!list?.length) {
      ctx.err(`Error: No public port '${key}' published for ${container}\n`);
      return 1;
    }
    for (const b of list) ctx.out(`${b.HostIp}:${b.HostPort}\n`);
    return 0;
  }
  const keys = Object.keys(ports).sort((a, b) => Number(a.split('/')[0]) - Number(b.split('/')[0]) || a.localeCompare(b));
  for (const k of keys) for (const b of ports[k] ?? []) ctx.out(`${k} -> ${b.HostIp}:${b.HostPort}\n`);
  return 0;
}
