import { humanSize, isApiError, parseFilters, type EngineApi, type Filters } from '../../api/index.js';
import type { CliContext } from '../context.js';
import { confirm } from './prompt.js';

export interface SystemPruneFlags {
  all?: boolean;
  force?: boolean;
  volumes?: boolean;
  filter?: string[];
}

interface PruneReply {
  ContainersDeleted?: string[] | null;
  NetworksDeleted?: string[] | null;
  VolumesDeleted?: string[] | null;
  ImagesDeleted?: { Untagged?: string; Deleted?: string }[] | null;
  CachesDeleted?: string[] | null;
  SpaceReclaimed?: number;
}

/** One prune call; an engine without that kind of object (404) has nothing of it to prune. */
async function prune(api: EngineApi, path: string, filters: Filters): Promise<PruneReply> {
  try {
    return await api.client.json<PruneReply>('POST', path, { query: { filters: JSON.stringify(filters) } });
  } catch (e) {
    if (isApiError(e) && e.statusCode === 404 && !/no such/i.test(e.message)) return {};
    throw e;
  }
}

/** docker system prune: stopped containers, unused networks, (anonymous volumes), images, build cache. */
export async function systemPrune(ctx: CliContext, flags: SystemPruneFlags): Promise<number> {
  const what = [
    'all stopped containers',
    'all networks not used by at least one container',
    ...(flags.volumes ? ['all anonymous volumes not used by at least one container'] : []),
    flags.all ? 'all images without at least one container associated to them' : 'all dangling images',
    flags.all ? 'all build cache' : 'unused build cache',
  ];
  const warning = `WARNING! This will remove:\n${what.map((w) => `  - ${w}\n`).join('')}`;
  if (!flags.force && !(await confirm(ctx, warning))) return 0;
  const filters = parseFilters(flags.filter ?? []);
  const api = await ctx.api();
  let out = '';
  let reclaimed = 0;
  const section = (title: string, names: string[] | null | undefined): void => {
    if (names && names.length > 0) out += `${title}:\n${names.map((n) => `${n}\n`).join('')}\n`;
  };
  const containers = await prune(api, '/containers/prune', filters);
  section('Deleted Containers', containers.ContainersDeleted);
  reclaimed += containers.SpaceReclaimed ?? 0;
  section('Deleted Networks', (await prune(api, '/networks/prune', filters)).NetworksDeleted);
  if (flags.volumes) {
    const volumes = await prune(api, '/volumes/prune', { ...filters, all: { false: true } });
    section('Deleted Volumes', volumes.VolumesDeleted);
    reclaimed += volumes.SpaceReclaimed ?? 0;
  }
  const images = await prune(api, '/images/prune', { ...filters, dangling: { [flags.all ? 'false' : 'true']: true } });
  section('Deleted Images', (images.ImagesDeleted ?? []).map((d) => (d.Untagged !== undefined ? `untagged: ${d.Untagged}` : `deleted: ${d.Deleted ?? ''}`)));
  reclaimed += images.SpaceReclaimed ?? 0;
  const cache = await prune(api, '/build/prune', { ...filters, ...(flags.all ? { all: { true: true } } : {}) });
  section('Deleted build cache objects', cache.CachesDeleted);
  reclaimed += cache.SpaceReclaimed ?? 0;
  ctx.out(`${out}Total reclaimed space: ${humanSize(reclaimed)}\n`);
  return 0;
}
