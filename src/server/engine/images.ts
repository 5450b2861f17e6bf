import { messageOf } from './errors.js';
import { InvalidArgument, NotImplemented } from '../../errdefs/index.js';
import { labelMatches, type DeleteAction, type ImageService } from '../../services/index.js';
import { wireImageRunConfig } from './image-convert.js';
import type { Handler, HttpContext, Router } from '../http/index.js';
import type { EngineDeps } from './deps.js';
import { parseFilters } from './request.js';
import { param, parseUntil } from './containers.js';
import { listedReferences } from './image-filters.js';
import { pullImage } from './images-remote.js';
import { compareApiVersions } from '../../api/index.js';
import { manifestSummaries } from './image-manifests.js';

export function imageRoutes(r: Router<Handler>, deps: EngineDeps): void {
  const svc = deps.images;

  r.add('GET', '/images/json', async (ctx) => {
    const filters = parseFilters(ctx.query.get('filters'));
    for (const k of filters.keys()) {
      if (!['dangling', 'reference', 'label', 'before', 'since', 'until'].includes(k)) throw new InvalidArgument(`invalid filter '${k}'`);
    }
    const out: Record<string, unknown>[] = [];
    const all = ctx.bool('all');
    // VirtualSize went in 1.44; Manifests came in 1.47, only when asked for.
    const since144 = compareApiVersions(ctx.version, '1.44') >= 0;
    const manifests = ctx.bool('manifests') && compareApiVersions(ctx.version, '1.47') >= 0;
    for (const img of svc.list()) {
      if (!all && svc.isIntermediate(img)) continue;
      const allTags = svc.tagsOf(img.id);
      const allDigests = svc.repoDigestsOf(img.id);
      // With a reference filter Docker lists only the tags and digests that matched.
      const refs = listedReferences(allTags, allDigests, filters.get('reference') ?? []);
      if (!refs) continue;
      const cfg = await svc.config(img);
      const labels = (cfg.config?.['Labels'] as Record<string, string> | null | undefined) ?? {};
      if (!imageMatches(svc, filters, allTags, allDigests, labels, img.created)) continue;
      out.push({
        Id: img.id,
        ParentId: img.parent ?? '',
        RepoTags: refs.tags,
        RepoDigests: refs.digests,
        Created: Math.floor(Date.parse(img.created) / 1000) || 0,
        Size: img.size,
        SharedSize: -1,
        ...(since144 ? {} : { VirtualSize: img.size }),
        Labels: Object.keys(labels).length ? labels : null,
        Containers: -1,
        ...(manifests ? { Manifests: await manifestSummaries(svc, deps.containers, img, cfg) } : {}),
      });
    }
    out.sort((a, b) => (b['Created'] as number) - (a['Created'] as number));
    ctx.sendJson(200, out);
  });

  r.add('GET', '/images/{name:.*}/json', async (ctx) => {
    const img = svc.get(param(ctx, 'name'));
    const cfg = await svc.config(img);
    const chains = svc.chainIdsOf(img);
    // Container and ContainerConfig went in 1.45, VirtualSize in 1.44.
    const since144 = compareApiVersions(ctx.version, '1.44') >= 0;
    const since145 = compareApiVersions(ctx.version, '1.45') >= 0;
    ctx.sendJson(200, {
      Id: img.id,
      RepoTags: svc.tagsOf(img.id),
      RepoDigests: svc.repoDigestsOf(img.id),
      Parent: img.parent ?? '',
      // dockerd falls back to the last history entry's comment (what `docker commit -m` wrote).
      Comment: cfg.comment || (cfg.history?.at(-1)?.comment ?? ''),
      Created: cfg.created ?? img.created,
      ...(since145 ? {} : { Container: cfg.container ?? '', ContainerConfig: wireImageRunConfig(cfg.container_config) }),
      DockerVersion: cfg.docker_version ?? '',
      Author: cfg.author ?? '',
      Config: cfg.config ? wireImageRunConfig(cfg.config) : null,
      Architecture: cfg.architecture ?? '',
      ...(cfg.variant ? { Variant: cfg.variant } : {}),
      Os: cfg.os ?? 'linux',
      ...(cfg['os.version'] ? { OsVersion: cfg['os.version'] } : {}),
      Size: img.size,
      ...(since144 ? {} : { VirtualSize: img.size }),
      GraphDriver: {
        Name: deps.system.driver === 'overlay' ? 'overlay2' : 'vfs',
        Data: { LowerDir: chains.map((c) => deps.layerPath(c)).reverse().join(':') },
      },
      RootFS: { Type: 'layers', Layers: img.layers.map((l) => l.diffId) },
      Metadata: { LastTagTime: '0001-01-01T00:00:00Z' },
    });
  });

  r.add('GET', '/images/{name:.*}/history', async (ctx) => {
    const rows = await svc.history(param(ctx, 'name'));
    ctx.sendJson(200, rows.map((h) => ({ Id: h.id, Created: h.created, CreatedBy: h.createdBy, Tags: h.tags.length ? h.tags : null, Size: h.size, Comment: h.comment })));
  });

  r.add('POST', '/images/{name:.*}/tag', (ctx) => {
    const repo = ctx.query.get('repo') ?? '';
    svc.tag(param(ctx, 'name'), repo, ctx.query.get('tag') || null);
    ctx.sendStatus(201);
  });

  r.add('POST', '/images/prune', async (ctx) => {
    const filters = parseFilters(ctx.query.get('filters'));
    for (const k of filters.keys()) {
      if (!['dangling', 'until', 'label', 'label!'].includes(k)) throw new InvalidArgument(`invalid filter '${k}'`);
    }
    // Only dangling images unless dangling=false (docker image prune -a).
    const dangling = filters.get('dangling')?.[0];
    const all = dangling === 'false' || dangling === '0';
    const until = filters.get('until')?.[0];
    const untilMs = until === undefined ? undefined : parseUntil(until);
    const kept = new Set<string>();
    for (const img of svc.list()) {
      const labels = ((await svc.config(img)).config?.['Labels'] as Record<string, string> | null | undefined) ?? {};
      const keep = (untilMs !== undefined && Date.parse(img.created) >= untilMs)
        || !(filters.get('label') ?? []).every((l) => labelMatches(labels, l))
        || (filters.get('label!') ?? []).some((l) => labelMatches(labels, l));
      if (keep) kept.add(img.id);
    }
    const { actions, reclaimed } = await svc.prune(all, (img) => kept.has(img.id));
    ctx.sendJson(200, { ImagesDeleted: actions.length ? actions.map(deleteItem) : null, SpaceReclaimed: reclaimed });
  });

  r.add('DELETE', '/images/{name:.*}', async (ctx) => {
    const actions = await svc.remove(param(ctx, 'name'), { force: ctx.bool('force'), prune: !ctx.bool('noprune') });
    ctx.sendJson(200, actions.map(deleteItem));
  });

  const save = async (ctx: HttpContext, names: string[]): Promise<void> => {
    for (const n of names) svc.get(n); // 404 before the 200 goes out
    const res = ctx.startStream('application/x-tar');
    try {
      await svc.save(names, res, ctx.signal);
      res.end();
    } catch (e) {
      deps.log('save failed', e);
      res.destroy(e instanceof Error ? e : undefined);
    }
  };
  r.add('GET', '/images/get', (ctx) => save(ctx, ctx.query.getAll('names').flatMap((n) => n.split(',')).filter(Boolean)));
  r.add('GET', '/images/{name:.*}/get', (ctx) => save(ctx, [param(ctx, 'name')]));

  r.add('POST', '/images/load', async (ctx) => {
    const quiet = ctx.bool('quiet');
    // Failures after this point travel inside the 200 stream as errorDetail, as Docker does.
    const res = ctx.startStream('application/json');
    try {
      const images = await svc.load(ctx.req, ctx.signal);
      for (const img of images) {
        const lines = img.tags.length ? img.tags.map((t) => `Loaded image: ${t}`) : [`Loaded image ID: ${img.id}`];
        for (const l of lines) res.write(JSON.stringify({ stream: `${l}\n` }) + '\n');
      }
      void quiet;
    } catch (e) {
      const message = messageOf(e, 'loading the archive');
      res.write(JSON.stringify({ errorDetail: { message }, error: message }) + '\n');
    }
    res.end();
  });

  r.add('POST', '/images/create', async (ctx) => {
    const fromSrc = ctx.query.get('fromSrc');
    if (fromSrc === null) return pullImage(ctx, deps);
    if (fromSrc !== '-') throw new NotImplemented('importing from a URL is not supported by berth: pass the archive on stdin (-)');
    const repo = ctx.query.get('repo') ?? '';
    const tag = ctx.query.get('tag') ?? '';
    const ref = repo ? (tag ? `${repo}:${tag}` : repo) : undefined;
    const changes = ctx.query.getAll('changes').flatMap((c) => c.split('\n')).filter((c) => c.trim() !== '');
    const message = ctx.query.get('message') ?? undefined;
    const res = ctx.startStream('application/json');
    try {
      const id = await svc.importRootfs(ctx.req, { ...(ref ? { ref } : {}), changes, ...(message ? { message } : {}), signal: ctx.signal });
      res.write(JSON.stringify({ status: id }) + '\n');
    } catch (e) {
      const msg = messageOf(e, 'importing the archive');
      res.write(JSON.stringify({ errorDetail: { message: msg }, error: msg }) + '\n');
    }
    res.end();
  });
}

/** The filters other than `reference` (applied with the listing's references, see listedReferences). */
function imageMatches(svc: ImageService, f: Map<string, string[]>, tags: string[], digests: string[], labels: Record<string, string>, created: string): boolean {
  const dangling = f.get('dangling')?.[0];
  if (dangling !== undefined) {
    // As dockerd: dangling=true lists the untagged (digest-only ones too), dangling=false hides only
    // images with neither a tag nor a digest.
    const want = dangling === 'true' || dangling === '1';
    if (want ? tags.length > 0 : tags.length === 0 && digests.length === 0) return false;
  }
  if (!(f.get('label') ?? []).every((l) => labelMatches(labels, l))) return false;
  for (const key of ['before', 'since'] as const) {
    const v = f.get(key)?.[0];
    if (v === undefined) continue;
    const other = svc.get(v);
    const cmp = Date.parse(created) - Date.parse(other.created);
    if (key === 'before' ? cmp >= 0 : cmp <= 0) return false;
  }
  return true;
}

/** Docker's ImageDeleteResponseItem of one removal step. */
function deleteItem(a: DeleteAction): { Untagged: string } | { Deleted: string } {
  return 'untagged' in a ? { Untagged: a.untagged } : { Deleted: a.deleted };
}
