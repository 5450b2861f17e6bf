import { InvalidArgument } from '../../errdefs/index.js';
import { containerStats, containerTop } from '../../services/index.js';
import type { Handler, Router } from '../http/index.js';
import type { EngineDeps } from './deps.js';
import { param } from './containers.js';
import { jsonBody } from './request.js';
import { updateFromWire } from './dialect/index.js';

/** rename, top and stats: what a running container shows and how it is named. */
export function containerOpsRoutes(r: Router<Handler>, deps: EngineDeps): void {
  const svc = deps.containers;

  r.add('POST', '/containers/{id}/rename', async (ctx) => {
    const name = ctx.query.get('name');
    if (!name) throw new InvalidArgument('Neither old nor new names may be empty');
    await svc.rename(param(ctx, 'id'), name);
    ctx.sendStatus(204);
  });

  r.add('POST', '/containers/{id}/update', async (ctx) => {
    const body = await jsonBody(ctx);
    await svc.update(param(ctx, 'id'), (spec) => updateFromWire(spec, body));
    ctx.sendJson(200, { Warnings: [] });
  });

  r.add('GET', '/containers/{id}/top', async (ctx) => {
    ctx.sendJson(200, await containerTop(svc.get(param(ctx, 'id')), ctx.query.get('ps_args') ?? ''));
  });

  r.add('GET', '/containers/{id}/stats', async (ctx) => {
    const rec = svc.get(param(ctx, 'id'));
    const stream = ctx.bool('stream', true);
    const oneShot = ctx.bool('one-shot');
    if (oneShot && stream) throw new InvalidArgument('cannot have stream=true and one-shot=true');
    const res = ctx.startStream('application/json');
    const isRunning = (): boolean => {
      try {
        const s = svc.get(rec.id).state.status;
        return s === 'running' || s === 'paused';
      } catch {
        return false;
      }
    };
    for await (const s of containerStats(rec, { stream, oneShot, signal: ctx.signal, isRunning })) {
      res.write(JSON.stringify(s) + '\n');
    }
    res.end();
  });
}
