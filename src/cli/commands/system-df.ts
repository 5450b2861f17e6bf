import { humanDuration, humanSize, type ContainerSummary } from '../../api/index.js';
import type { CliContext } from '../context.js';
import { containerRow } from '../format/containers.js';
import { renderFormat, truncateId } from '../format/formatter.js';

interface DfImage {
  Id: string;
  RepoTags: string[] | null;
  Created: number;
  Size: number;
  SharedSize: number;
  Containers: number;
}
interface DfVolume {
  Name: string;
  UsageData?: { Size: number; RefCount: number } | null;
}
interface DiskUsage {
  LayersSize: number;
  Images: DfImage[] | null;
  Containers: (ContainerSummary & { SizeRw?: number })[] | null;
  Volumes: DfVolume[] | null;
  BuildCache: DfCache[] | null;
}
interface DfCache {
  ID: string;
  Type: string;
  InUse: boolean;
  Shared: boolean;
  Size: number;
  CreatedAt: string;
  LastUsedAt: string | null;
  UsageCount: number;
}

/** As docker: shared records count once elsewhere; what no build uses now can go. */
function cacheSizes(du: DiskUsage): { size: number; reclaimable: number } {
  let size = 0;
  let reclaimable = 0;
  for (const c of du.BuildCache ?? []) {
    if (c.Shared) continue;
    size += c.Size;
    if (!c.InUse) reclaimable += c.Size;
  }
  return { size, reclaimable };
}

const SUMMARY_FORMAT = 'table {{.Type}}\t{{.TotalCount}}\t{{.Active}}\t{{.Size}}\t{{.Reclaimable}}';
const SUMMARY_HEADERS = { Type: 'TYPE', TotalCount: 'TOTAL', Active: 'ACTIVE', Size: 'SIZE', Reclaimable: 'RECLAIMABLE' };

function withPercent(reclaimable: number, total: number): string {
  return total > 0 ? `${humanSize(reclaimable)} (${Math.trunc((100 * reclaimable) / total)}%)` : humanSize(reclaimable);
}

function active(c: ContainerSummary): boolean {
  return /running|paused|restarting/.test(c.State);
}

/** The four summary rows docker computes from GET /system/df. */
export function summaryRows(du: DiskUsage): Record<string, string>[] {
  const images = du.Images ?? [];
  const containers = du.Containers ?? [];
  const volumes = du.Volumes ?? [];
  let usedByContainers = 0;
  for (const i of images) if (i.Containers > 0 && i.Size >= 0 && i.SharedSize >= 0) usedByContainers += i.Size - i.SharedSize;
  const imgReclaim = Math.max(0, du.LayersSize - usedByContainers);
  const ctrSize = containers.reduce((n, c) => n + (c.SizeRw ?? 0), 0);
  const ctrReclaim = containers.filter((c) => !active(c)).reduce((n, c) => n + (c.SizeRw ?? 0), 0);
  const volSize = volumes.reduce((n, v) => n + Math.max(0, v.UsageData?.Size ?? 0), 0);
  const volReclaim = volumes.filter((v) => (v.UsageData?.RefCount ?? 0) === 0).reduce((n, v) => n + Math.max(0, v.UsageData?.Size ?? 0), 0);
  return [
    { Type: 'Images', TotalCount: String(images.length), Active: String(images.filter((i) => i.Containers > 0).length), Size: humanSize(du.LayersSize), Reclaimable: withPercent(imgReclaim, du.LayersSize) },
    { Type: 'Containers', TotalCount: String(containers.length), Active: String(containers.filter(active).length), Size: humanSize(ctrSize), Reclaimable: withPercent(ctrReclaim, ctrSize) },
    { Type: 'Local Volumes', TotalCount: String(volumes.length), Active: String(volumes.filter((v) => (v.UsageData?.RefCount ?? 0) > 0).length), Size: humanSize(volSize), Reclaimable: withPercent(volReclaim, volSize) },
    { Type: 'Build Cache', TotalCount: String((du.BuildCache ?? []).length), Active: String((du.BuildCache ?? []).filter((c) => c.InUse).length), Size: humanSize(cacheSizes(du).size), Reclaimable: humanSize(cacheSizes(du).reclaimable) },
  ];
}

function verbose(du: DiskUsage, now: number): string {
  const imageRows: Record<string, string>[] = [];
  for (const i of du.Images ?? []) {
    const tags = i.RepoTags && i.RepoTags.length > 0 ? i.RepoTags : ['<none>:<none>'];
    for (const t of tags) {
      const at = t.lastIndexOf(':');
      imageRows.push({
        Repository: t.slice(0, at),
        Tag: t.slice(at + 1),
        ID: truncateId(i.Id),
        CreatedSince: `${humanDuration(now - i.Created * 1000)} ago`,
        Size: humanSize(i.Size),
        SharedSize: humanSize(i.SharedSize),
        UniqueSize: humanSize(i.Size - i.SharedSize),
        Containers: String(i.Containers),
      });
    }
  }
  let out = 'Images space usage:\n\n';
  out += renderFormat('table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}\t{{.SharedSize}}\t{{.UniqueSize}}\t{{.Containers}}', imageRows, {
    Repository: 'REPOSITORY', Tag: 'TAG', ID: 'IMAGE ID', CreatedSince: 'CREATED', Size: 'SIZE', SharedSize: 'SHARED SIZE', UniqueSize: 'UNIQUE SIZE', Containers: 'CONTAINERS',
  });
  const ctrRows = (du.Containers ?? []).map((c) => ({ ...containerRow(c, true, now), Size: humanSize(c.SizeRw ?? 0) }));
  out += '\nContainers space usage:\n\n';
  out += renderFormat('table {{.ID}}\t{{.Image}}\t{{.Command}}\t{{.LocalVolumes}}\t{{.Size}}\t{{.RunningFor}}\t{{.Status}}\t{{.Names}}', ctrRows, {
    ID: 'CONTAINER ID', Image: 'IMAGE', Command: 'COMMAND', LocalVolumes: 'LOCAL VOLUMES', Size: 'SIZE', RunningFor: 'CREATED', Status: 'STATUS', Names: 'NAMES',
  });
  const volRows = (du.Volumes ?? []).map((v) => ({ Name: v.Name, Links: String(v.UsageData?.RefCount ?? 0), Size: humanSize(Math.max(0, v.UsageData?.Size ?? 0)) }));
  out += '\nLocal Volumes space usage:\n\n';
  out += renderFormat('table {{.Name}}\t{{.Links}}\t{{.Size}}', volRows, { Name: 'VOLUME NAME', Links: 'LINKS', Size: 'SIZE' });
  out += `\nBuild cache usage: ${humanSize(cacheSizes(du).size)}\n\n`;
  const since = (t: string | null): string => (t ? `${humanDuration(now - Date.parse(t))} ago` : '');
  const cacheRows = (du.BuildCache ?? []).map((c) => ({
    ID: c.ID.slice(0, 12),
    CacheType: c.Type,
    Size: humanSize(c.Size),
    CreatedSince: since(c.CreatedAt),
    LastUsedSince: since(c.LastUsedAt),
    UsageCount: String(c.UsageCount),
    Shared: String(c.Shared),
  }));
  out += renderFormat('table {{.ID}}\t{{.CacheType}}\t{{.Size}}\t{{.CreatedSince}}\t{{.LastUsedSince}}\t{{.UsageCount}}\t{{.Shared}}', cacheRows, {
    ID: 'CACHE ID', CacheType: 'CACHE TYPE', Size: 'SIZE', CreatedSince: 'CREATED', LastUsedSince: 'LAST USED', UsageCount: 'USAGE', Shared: 'SHARED',
  });
  return out;
}

/** `berth system df [-v] [--format]`. */
export async function systemDf(ctx: CliContext, opts: { verbose?: boolean; format?: string }): Promise<number> {
  const api = await ctx.api();
  const du = await api.client.json<DiskUsage>('GET', '/system/df');
  if (opts.verbose && opts.format === undefined) {
    ctx.out(verbose(du, Date.now()));
    return 0;
  }
  ctx.out(renderFormat(opts.format ?? SUMMARY_FORMAT, summaryRows(du), SUMMARY_HEADERS));
  return 0;
}
