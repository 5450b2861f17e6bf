import { InvalidArgument } from '../../errdefs/index.js';
import { compareApiVersions } from '../../api/index.js';
import type { BuildService, FilesystemService } from '../../services/index.js';
import type { Handler, Router } from '../http/index.js';
import { containerSummary } from './convert.js';
import type { EngineDeps } from './deps.js';
import { volumesDiskUsage } from './volume-convert.js';

const TYPES = ['container', 'image', 'volume', 'build-cache'] as const;
type DfType = (typeof TYPES)[number];

/**
 * `GET /system/df`: from API 1.42 `type=` (repeatable) asks for some parts only; the others are
 * null and not measured (walking every container's writable layer is what makes df slow).
 */
export function systemDfRoutes(r: Router<Handler>, deps: EngineDeps, fs: FilesystemService, builds?: BuildService): void {
  r.add('GET', '/system/df', async (ctx) => {
    const asked = ctx.query.getAll('type');
    const since144 = compareApiVersions(ctx.version, '1.44') >= 0;
    const want = new Set<DfType>(TYPES);
    if (asked.length > 0 && compareApiVersions(ctx.version, '1.42') >= 0) {
      want.clear();
      for (const t of asked) {
        if (!(TYPES as readonly string[]).includes(t)) throw new InvalidArgument(`unknown object type: ${t}`);
        want.add(t as DfType);
      }
    }
    const du = want.has('image') || want.has('container') ? await fs.diskUsage({ containers: want.has('container') }) : undefined;
    const images = du && want.has('image')
      ? await Promise.all(
        du.images.map(async (u) => {
          const cfg = await deps.images.config(u.image);
          const labels = (cfg.config?.['Labels'] as Record<string, string> | null | undefined) ?? null;
          return {
            Id: u.image.id,
            ParentId: '',
            RepoTags: deps.images.tagsOf(u.image.id),
            RepoDigests: deps.images.repoDigestsOf(u.image.id),
            Created: Math.floor(Date.parse(u.image.created) / 1000) || 0,
            Size: u.size,
            SharedSize: u.sharedSize,
            ...(since144 ? {} : { VirtualSize: u.size }),
            Labels: labels && Object.keys(labels).length ? labels : null,
            Containers: u.containers,
          };
        }),
      )
      : null;
    const containers = du && want.has('container')
      ? du.containers.map((u) => ({
        ...containerSummary(u.container, deps.images.displayName(u.container.imageId, u.container.spec.rootfs.image)),
        SizeRw: u.sizeRw,
        SizeRootFs: u.sizeRootFs,
      }))
      : null;
    const volumes = want.has('volume') ? await volumesDiskUsage(deps.volumes) : null;
    // The build cache counted here is RUN --mount=type=cache's directories (BuildKit's exec.cachemount records).
    const buildCache = want.has('build-cache')
      ? (await (builds?.cacheMounts() ?? Promise.resolve([]))).map((c) => ({
        ID: c.key,
        Parent: '',
        Parents: null,
        Type: 'exec.cachemount',
        Description: `cached mount ${c.target}${c.id !== c.target ? ` (id ${c.id})` : ''}`,
        InUse: c.inUse,
        Shared: false,
        Size: c.size,
        CreatedAt: c.created,
        LastUsedAt: c.lastUsed,
        UsageCount: c.usageCount,
      }))
      : null;
    ctx.sendJson(200, {
      LayersSize: du && want.has('image') ? du.layersSize : 0,
      Images: images,
      Containers: containers,
      Volumes: volumes,
      BuildCache: buildCache,
    });
  });
}
