import { humanDuration, humanSizeWithPrecision, type HistoryItem, type ImageSummary } from '../../api/index.js';
import { goTimeString } from './containers.js';
import { ellipsis, truncateId } from './formatter.js';

export const DEFAULT_IMAGES_FORMAT = 'table {{.Repository}}\t{{.Tag}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}';
export const DIGESTS_IMAGES_FORMAT = 'table {{.Repository}}\t{{.Tag}}\t{{.Digest}}\t{{.ID}}\t{{.CreatedSince}}\t{{.Size}}';

export const IMAGE_HEADERS: Record<string, string> = {
  Repository: 'REPOSITORY', Tag: 'TAG', Digest: 'DIGEST', ID: 'IMAGE ID', CreatedSince: 'CREATED',
  CreatedAt: 'CREATED AT', Size: 'SIZE', Containers: 'CONTAINERS', SharedSize: 'SHARED SIZE',
  UniqueSize: 'UNIQUE SIZE', VirtualSize: 'VIRTUAL SIZE',
};

/** `repo:tag` → [repo, tag]; the colon of a registry port is not a tag separator. */
function splitRepoTag(ref: string): [string, string] {
  const i = ref.lastIndexOf(':');
  if (i < 0 || ref.slice(i).includes('/')) return [ref, '<none>'];
  return [ref.slice(0, i), ref.slice(i + 1)];
}

/** One image becomes one row per tag (docker's images formatter), or a `<none>` row. */
export function imageRows(images: readonly ImageSummary[], opts: { trunc: boolean; digests: boolean }, now: number = Date.now()): Array<Record<string, unknown>> {
  const rows: Array<Record<string, unknown>> = [];
  for (const img of images) {
    const base = {
      ID: opts.trunc ? truncateId(img.Id) : img.Id,
      CreatedSince: `${humanDuration(now - img.Created * 1000)} ago`,
      CreatedAt: goTimeString(new Date(img.Created * 1000)),
      Size: humanSizeWithPrecision(img.Size, 3),
      VirtualSize: humanSizeWithPrecision(img.VirtualSize ?? img.Size, 3),
      SharedSize: img.SharedSize < 0 ? 'N/A' : humanSizeWithPrecision(img.SharedSize, 3),
      UniqueSize: img.SharedSize < 0 ? 'N/A' : humanSizeWithPrecision(img.Size - img.SharedSize, 3),
      Containers: img.Containers < 0 ? 'N/A' : String(img.Containers),
    };
    const digestsByRepo = new Map<string, string[]>();
    for (const d of img.RepoDigests ?? []) {
      const at = d.indexOf('@');
      if (at < 0) continue;
      const repo = d.slice(0, at);
      digestsByRepo.set(repo, [...(digestsByRepo.get(repo) ?? []), d.slice(at + 1)]);
    }
    const tags = (img.RepoTags ?? []).filter((t) => t !== '<none>:<none>');
    const repos = new Set<string>();
    for (const t of tags) {
      const [repo, tag] = splitRepoTag(t);
      repos.add(repo);
      const digests = digestsByRepo.get(repo) ?? [];
      if (opts.digests && digests.length > 0) {
        for (const d of digests) rows.push({ ...base, Repository: repo, Tag: tag, Digest: d });
      } else {
        rows.push({ ...base, Repository: repo, Tag: tag, Digest: digests[0] ?? '<none>' });
      }
    }
    for (const [repo, digests] of digestsByRepo) {
      if (repos.has(repo)) continue;
      for (const d of opts.digests ? digests : digests.slice(0, 1)) rows.push({ ...base, Repository: repo, Tag: '<none>', Digest: d });
    }
    if (tags.length === 0 && digestsByRepo.size === 0) rows.push({ ...base, Repository: '<none>', Tag: '<none>', Digest: '<none>' });
  }
  return rows;
}

export const DEFAULT_HISTORY_FORMAT = 'table {{.ID}}\t{{.CreatedSince}}\t{{.CreatedBy}}\t{{.Size}}\t{{.Comment}}';
export const HISTORY_HEADERS: Record<string, string> = {
  ID: 'IMAGE', CreatedSince: 'CREATED', CreatedAt: 'CREATED AT', CreatedBy: 'CREATED BY', Size: 'SIZE', Comment: 'COMMENT',
};

/** docker history rows; `human` switches sizes and dates between readable and raw. */
export function historyRows(items: readonly HistoryItem[], opts: { trunc: boolean; human: boolean }, now: number = Date.now()): Array<Record<string, unknown>> {
  return items.map((h) => {
    const createdBy = h.CreatedBy.replace(/\t/g, ' ');
    const created = new Date(h.Created * 1000);
    return {
      ID: opts.trunc && h.Id !== '<missing>' ? truncateId(h.Id) : h.Id,
      CreatedSince: opts.human ? `${humanDuration(now - h.Created * 1000)} ago` : created.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      CreatedAt: created.toISOString().replace(/\.\d{3}Z$/, 'Z'),
      CreatedBy: opts.trunc ? ellipsis(createdBy, 45) : createdBy,
      Size: opts.human ? humanSizeWithPrecision(h.Size, 3) : String(h.Size),
      Comment: h.Comment,
      Tags: (h.Tags ?? []).join(', '),
    };
  });
}
