import { humanSize, parseFilters, type Filters, type Volume, type VolumeCreateRequest, type VolumeListResponse, type VolumePruneResponse } from '../../api/index.js';
import { InvalidArgument } from '../../errdefs/index.js';
import type { CliContext } from '../context.js';
import { renderFormat } from '../format/formatter.js';
import { forEach } from './containers.js';
import { getOrNoSuch, inspectEach } from './inspect.js';
import { confirm } from './prompt.js';

const enc = encodeURIComponent;

export const DEFAULT_VOLUME_FORMAT = 'table {{.Driver}}\t{{.Name}}';
export const VOLUME_HEADERS: Record<string, string> = {
  Name: 'VOLUME NAME',
  Driver: 'DRIVER',
  Scope: 'SCOPE',
  Mountpoint: 'MOUNTPOINT',
  Labels: 'LABELS',
  CreatedAt: 'CREATED',
  Size: 'SIZE',
  Links: 'LINKS',
};

/** The fields `volume ls --format` offers, as docker's volume formatter names them. */
export function volumeRows(list: readonly Volume[]): Array<Record<string, unknown>> {
  return list.map((v) => ({
    Name: v.Name,
    Driver: v.Driver,
    Scope: v.Scope,
    Mountpoint: v.Mountpoint,
    Labels: Object.entries(v.Labels ?? {}).map(([k, x]) => `${k}=${x}`).join(','),
    CreatedAt: v.CreatedAt ?? '',
    Size: v.UsageData && v.UsageData.Size >= 0 ? humanSize(v.UsageData.Size) : 'N/A',
    Links: v.UsageData && v.UsageData.RefCount >= 0 ? String(v.UsageData.RefCount) : 'N/A',
  }));
}

/** `k=v` flags (labels, driver options) into a map; a bare `k` maps to ''. */
function keyValues(flags: readonly string[], what: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of flags) {
    const i = f.indexOf('=');
    if (i === 0) throw new InvalidArgument(`invalid argument "${f}" for "${what}" flag: invalid ${what === '--label' ? 'label' : 'option'}: ${f}`);
    if (i < 0) out[f] = '';
    else out[f.slice(0, i)] = f.slice(i + 1);
  }
  return out;
}

export async function volumeCreate(ctx: CliContext, name: string | undefined, opts: { driver?: string; label?: string[]; opt?: string[]; name?: string }): Promise<number> {
  if (name !== undefined && opts.name !== undefined && name !== opts.name) {
    throw new InvalidArgument(`conflicting options: cannot specify a volume-name through both --name and as a positional arg`);
  }
  const body: VolumeCreateRequest = { Driver: opts.driver ?? 'local', DriverOpts: keyValues(opts.opt ?? [], '--opt'), Labels: keyValues(opts.label ?? [], '--label') };
  const n = name ?? opts.name;
  if (n !== undefined) body.Name = n;
  const api = await ctx.api();
  const v = await api.client.json<Volume>('POST', '/volumes/create', { body });
  ctx.out(`${v.Name}\n`);
  return 0;
}

export async function volumeList(ctx: CliContext, opts: { quiet?: boolean; filter?: string[]; format?: string }): Promise<number> {
  const filters = parseFilters(opts.filter ?? []);
  const api = await ctx.api();
  const res = await api.client.json<VolumeListResponse>('GET', '/volumes', { query: { filters: JSON.stringify(filters) } });
  const list = [...(res.Volumes ?? [])].sort((a, b) => a.Name.localeCompare(b.Name));
  for (const w of res.Warnings ?? []) ctx.err(`${w}\n`);
  const format = opts.quiet ? '{{.Name}}' : opts.format === undefined || opts.format === '' || opts.format === 'table' ? DEFAULT_VOLUME_FORMAT : opts.format;
  if (format === 'json') {
    for (const v of volumeRows(list)) ctx.out(`${JSON.stringify(v)}\n`);
    return 0;
  }
  ctx.out(renderFormat(format, volumeRows(list), VOLUME_HEADERS));
  return 0;
}

export function volumeInspect(ctx: CliContext, names: string[], opts: { format?: string }): Promise<number> {
  return inspectEach(ctx, names, opts.format, (api, name) => getOrNoSuch<Volume>(api, `/volumes/${enc(name)}`, 'volume', name));
}

export async function volumeRemove(ctx: CliContext, names: string[], opts: { force?: boolean }): Promise<number> {
  return forEach(ctx, names, async (api, name) => {
    await api.client.call('DELETE', `/volumes/${enc(name)}`, { query: { force: opts.force === true ? '1' : '0' } });
  });
}

export async function volumePrune(ctx: CliContext, opts: { all?: boolean; force?: boolean; filter?: string[] }): Promise<number> {
  const warning = opts.all
    ? 'WARNING! This will remove all local volumes not used by at least one container.'
    : 'WARNING! This will remove anonymous local volumes not used by at least one container.';
  if (!opts.force && !(await confirm(ctx, warning))) return 0;
  const filters: Filters = parseFilters(opts.filter ?? []);
  // Sent explicitly: the client speaks API 1.41, where a prune without `all` meant every unused volume.
  if (!filters['all']) filters['all'] = { [opts.all ? 'true' : 'false']: true };
  const api = await ctx.api();
  const r = await api.client.json<VolumePruneResponse>('POST', '/volumes/prune', { query: { filters: JSON.stringify(filters) } });
  let out = '';
  if (r.VolumesDeleted && r.VolumesDeleted.length > 0) out += `Deleted Volumes:\n${r.VolumesDeleted.map((n) => `${n}\n`).join('')}\n`;
  out += `Total reclaimed space: ${humanSize(r.SpaceReclaimed)}\n`;
  ctx.out(out);
  return 0;
}
