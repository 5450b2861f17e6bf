import { InvalidArgument } from '../../errdefs/index.js';
import { resizeContainerTty } from '../../services/index.js';
import type { Handler, Router } from '../http/index.js';
import { param } from './containers.js';
import type { EngineDeps } from './deps.js';

export function containerTtyRoutes(r: Router<Handler>, deps: EngineDeps): void {
  r.add('POST', '/containers/{id}/resize', async (ctx) => {
    const h = ctx.int('h');
    const w = ctx.int('w');
    if (h === undefined || w === undefined) throw new InvalidArgument('invalid resize parameters: h and w are required');
    await resizeContainerTty(deps.containers, param(ctx, 'id'), h, w);
    ctx.sendStatus(200);
  });
}
