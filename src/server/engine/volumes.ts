import { InvalidArgument, NotImplemented } from '../../errdefs/index.js';
import { compareApiVersions } from '../../api/index.js';
import type { VolumeService } from '../../services/index.js';
import type { Handler, Router } from '../http/index.js';
import type { EngineDeps } from './deps.js';
import { jsonBody, parseFilters, str, strMap } from './request.js';
import { param } from './containers.js';
import { wireVolume } from './volume-convert.js';

/** The volume endpoints: list, create, inspect, remove, prune. */
export function volumeRoutes(r: Router<Handler>, deps: EngineDeps): void {
  const svc = (): VolumeService => {
    if (!deps.volumes) throw new NotImplemented('volumes are not available in this berthd');
    return deps.volumes;
  };

  r.add('GET', '/volumes', (ctx) => {
    const filters = parseFilters(ctx.query.get('filters'));
    ctx.sendJson(200, { Volumes: svc().list(filters).map((v) => wireVolume(v)), Warnings: [] });
  });

  r.add('POST', '/volumes/create', async (ctx) => {
    const body = await jsonBody(ctx);
    if (body['ClusterVolumeSpec'] !== undefined && body['ClusterVolumeSpec'] !== null) throw new NotImplemented('cluster volumes need swarm, which berth does not have');
    const req: { name?: string; driver?: string; labels?: Record<string, string>; options?: Record<string, string> } = {};
    const name = str(body['Name']);
    if (name) req.name = name;
    const driver = str(body['Driver']);
    if (driver) req.driver = driver;
    const labels = strMap(body['Labels']);
    if (labels) req.labels = labels;
    const opts = strMap(body['DriverOpts']);
    if (opts) req.options = opts;
    if (body['Name'] !== undefined && body['Name'] !== null && typeof body['Name'] !== 'string') {
      throw new InvalidArgument('json: cannot unmarshal into field Name of type string');
    }
    const v = await svc().create(req);
    ctx.sendJson(201, wireVolume(v));
  });

  r.add('GET', '/volumes/{name}', (ctx) => {
    ctx.sendJson(200, wireVolume(svc().get(param(ctx, 'name'))));
  });

  r.add('DELETE', '/volumes/{name}', async (ctx) => {
    await svc().remove(param(ctx, 'name'), { force: ctx.bool('force') });
    ctx.sendStatus(204);
  });

  r.add('POST', '/volumes/prune', async (ctx) => {
    const filters = parseFilters(ctx.query.get('filters'));
    // Before API 1.42 prune removed every unused volume; from 1.42 only anonymous ones unless all=true.
    if (compareApiVersions(ctx.version, '1.42') < 0 && !filters.has('all')) filters.set('all', ['true']);
    const res = await svc().prune(filters, ctx.signal);
    ctx.sendJson(200, { VolumesDeleted: res.deleted, SpaceReclaimed: res.spaceReclaimed });
  });
}
