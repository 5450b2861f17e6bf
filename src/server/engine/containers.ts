import { InvalidArgument } from '../../errdefs/index.js';
import type { ContainerRecord } from '../../services/index.js';
import { containerMatches, linkNamesByTarget, linkTargets, validateContainerFilters, type ContainerService, type FilesystemService, type WaitCondition } from '../../services/index.js';
import type { Handler, HttpContext, Router } from '../http/index.js';
import { createInputFromWire, createWarnings } from './dialect/index.js';
import { containerInspect, containerSummary } from './convert.js';
import { jsonBody, parseFilters } from './request.js';
import { attachContainer, containerLogs } from './container-streams.js';
import type { EngineDeps } from './deps.js';
import { startFromCheckpoint } from './checkpoints.js';

export function containerRoutes(r: Router<Handler>, deps: EngineDeps, fs: FilesystemService): void {
  const svc: ContainerService = deps.containers;

  r.add('POST', '/containers/create', async (ctx) => {
    const body = await jsonBody(ctx);
    const input = createInputFromWire(body, ctx.query.get('name'));
    const rec = await svc.create(input);
    ctx.sendJson(201, { Id: rec.id, Warnings: createWarnings(rec.spec.resources) });
  });

  r.add('GET', '/containers/json', async (ctx) => {
    const filters = parseFilters(ctx.query.get('filters'));
    validateContainerFilters(filters);
    const all = ctx.bool('all');
    const limit = ctx.int('limit') ?? -1;
    // --filter namespace=k8s.io lists the CRI's containers (only listed: every other call stays in Docker's).
    const ns = filters.get('namespace')?.[0];
    let list = ns === undefined ? svc.list() : svc.inNamespace(ns, () => svc.list());
    if (!all && !filters.has('status') && !filters.has('exited')) list = list.filter((c) => c.state.status === 'running' || c.state.status === 'paused');
    list = list.filter((c) =>
      containerMatches(c, filters, {
        ancestorIds: (v) => deps.images.ancestorIds(v),
        resolve: (v) => {
          try {
            return svc.get(v);
          } catch {
            return undefined;
          }
        },
      }),
    );
    if (ctx.bool('latest')) list = list.slice(0, 1);
    const names = new Map<string, string>();
    if (limit > 0) list = list.slice(0, limit);
    const linkNames = linkNamesByTarget(svc.list());
    // Many containers share a few images: resolve each image name once per listing.
    const summaries = list.map((c) => {
      const key = `${c.imageId} ${c.spec.rootfs.image}`;
      let name = names.get(key);
      if (name === undefined) {
        name = deps.images.displayName(c.imageId, c.spec.rootfs.image);
        names.set(key, name);
      }
      return containerSummary(c, name, linkNames.get(c.id));
    });
    if (ctx.bool('size')) {
      const sizes = await Promise.all(list.map((c) => fs.containerSize(c)));
      summaries.forEach((s, i) => Object.assign(s, { SizeRw: sizes[i]?.sizeRw ?? 0, SizeRootFs: sizes[i]?.sizeRootFs ?? 0 }));
    }
    ctx.sendJson(200, summaries);
  });

  r.add('GET', '/containers/{id}/json', (ctx) => {
    const c = svc.get(param(ctx, 'id'));
    const execIds = deps.execs?.idsOf(c.id) ?? [];
    const byId = new Map(c.spec.networking.links?.length ? svc.list().map((x) => [x.id, x]) : []);
    const links = linkTargets(c, (id) => byId.get(id)).map(({ link, target }) => `/${target.name}:/${c.name}/${link.alias}`);
    ctx.sendJson(200, { ...containerInspect(c, deps.inspectPaths(c), links), ExecIDs: execIds.length ? execIds : null });
  });

  r.add('POST', '/containers/{id}/start', async (ctx) => {
    if (!(await startFromCheckpoint(deps, ctx, param(ctx, 'id')))) await svc.start(param(ctx, 'id'));
    ctx.sendStatus(204);
  });

  r.add('POST', '/containers/{id}/stop', async (ctx) => {
    await svc.stop(param(ctx, 'id'), { timeout: ctx.int('t'), signal: ctx.query.get('signal') ?? undefined });
    ctx.sendStatus(204);
  });

  r.add('POST', '/containers/{id}/restart', async (ctx) => {
    await svc.restart(param(ctx, 'id'), { timeout: ctx.int('t'), signal: ctx.query.get('signal') ?? undefined });
    ctx.sendStatus(204);
  });

  r.add('POST', '/containers/{id}/kill', async (ctx) => {
    await svc.kill(param(ctx, 'id'), ctx.query.get('signal') || 'SIGKILL');
    ctx.sendStatus(204);
  });

  r.add('POST', '/containers/{id}/pause', async (ctx) => {
    await svc.pause(param(ctx, 'id'));
    ctx.sendStatus(204);
  });

  r.add('POST', '/containers/{id}/unpause', async (ctx) => {
    await svc.unpause(param(ctx, 'id'));
    ctx.sendStatus(204);
  });

  // {id:.*}: a link name (`parent/alias`, docker rm --link) has a slash in it.
  r.add('DELETE', '/containers/{id:.*}', async (ctx) => {
    const id = param(ctx, 'id');
    if (ctx.bool('link')) await svc.removeLink(id);
    else await svc.remove(id, { force: ctx.bool('force'), volumes: ctx.bool('v') });
    ctx.sendStatus(204);
  });

  r.add('POST', '/containers/{id}/wait', async (ctx) => {
    const condition = (ctx.query.get('condition') || 'not-running') as WaitCondition;
    if (!['not-running', 'next-exit', 'removed'].includes(condition)) throw new InvalidArgument(`invalid condition: "${condition}"`);
    const id = svc.get(param(ctx, 'id')).id;
    const waiting = svc.wait(id, condition, ctx.signal);
    // The docker CLI sends `start` only once these headers arrive.
    const res = ctx.startStream('application/json');
    try {
      const r = await waiting;
      res.end(JSON.stringify({ StatusCode: r.statusCode, Error: null }) + '\n');
    } catch {
      res.destroy();
    }
  });

  r.add('POST', '/containers/{id}/attach', (ctx) => attachContainer(ctx, deps));
  r.add('GET', '/containers/{id}/logs', (ctx) => containerLogs(ctx, deps));

  r.add('POST', '/containers/prune', async (ctx) => {
    const filters = parseFilters(ctx.query.get('filters'));
    for (const k of filters.keys()) if (k !== 'label' && k !== 'label!' && k !== 'until') throw new InvalidArgument(`invalid filter '${k}'`);
    const until = filters.get('until')?.[0];
    const untilMs = until === undefined ? undefined : parseUntil(until);
    const labels = filters.get('label') ?? [];
    const notLabels = filters.get('label!') ?? [];
    const keep = (c: ContainerRecord): boolean =>
      (untilMs !== undefined && Date.parse(c.created) >= untilMs) || !labels.every((l) => labelHas(c.spec.labels, l)) || notLabels.some((l) => labelHas(c.spec.labels, l));
    const { deleted, spaceReclaimed } = await svc.prune(keep, (c) => fs.sizeRw(c));
    ctx.sendJson(200, { ContainersDeleted: deleted.length ? deleted : null, SpaceReclaimed: spaceReclaimed });
  });
}

function labelHas(labels: Record<string, string>, l: string): boolean {
  const eq = l.indexOf('=');
  return eq < 0 ? l in labels : labels[l.slice(0, eq)] === l.slice(eq + 1);
}

const DURATION_UNITS: Record<string, number> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** A Go duration ("10m", "1h30m", "1.5h", "-2s", "300ms") in milliseconds; undefined if it is none. */
export function parseGoDuration(v: string): number | undefined {
  const m = /^([-+]?)((?:(?:\d+\.?\d*|\.\d+)(?:ns|us|µs|ms|s|m|h))+)$/.exec(v);
  if (!m) return undefined;
  let ms = 0;
  for (const part of (m[2] ?? '').matchAll(/(\d+\.?\d*|\.\d+)(ns|us|µs|ms|s|m|h)/g)) ms += Number(part[1]) * (DURATION_UNITS[part[2] ?? ''] ?? 0);
  return m[1] === '-' ? -ms : ms;
}

/** `until` as Docker reads it: a Go duration before now, a Unix time (fractions allowed) or an RFC 3339 date. */
export function parseUntil(v: string, now = Date.now()): number {
  const d = parseGoDuration(v);
  if (d !== undefined) return now - d;
  if (/^\d+(\.\d+)?$/.test(v)) return Number(v) * 1000;
  const t = Date.parse(v);
  if (Number.isNaN(t)) throw new InvalidArgument(`invalid filter 'until=${v}'`);
  return t;
}

export function param(ctx: HttpContext, name: string): string {
  return ctx.params[name] ?? '';
}
