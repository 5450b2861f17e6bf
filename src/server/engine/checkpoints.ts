import { InvalidArgument, NotImplemented } from '../../errdefs/index.js';
import type { Checkpoints } from '../../services/index.js';
import type { Handler, HttpContext, Router } from '../http/index.js';
import type { EngineDeps } from './deps.js';
import { goFields, jsonBody } from './request.js';

/** dockerd serves checkpoints only in experimental mode, as berthd: a clear refusal otherwise. */
function checkpointsOf(deps: EngineDeps): Checkpoints {
  if (!deps.system.experimental || !deps.checkpoints) {
    throw new NotImplemented('checkpoint and restore are experimental features: start berthd with --experimental or set "experimental": true in daemon.json');
  }
  return deps.checkpoints;
}

function param(ctx: HttpContext, name: string): string {
  const v = ctx.params[name];
  if (v === undefined) throw new InvalidArgument(`missing ${name}`);
  return v;
}

function optString(v: unknown, field: string): string | undefined {
  if (v === undefined || v === null || v === '') return undefined;
  if (typeof v !== 'string') throw new InvalidArgument(`json: cannot unmarshal ${typeof v} into Go struct field CheckpointCreateOptions.${field} of type string`);
  return v;
}

/** Docker's experimental checkpoint endpoints (not in the swagger): create, list, delete. */
export function checkpointRoutes(r: Router<Handler>, deps: EngineDeps): void {
  r.add('POST', '/containers/{id}/checkpoints', async (ctx) => {
    const cp = checkpointsOf(deps);
    const body = goFields(await jsonBody(ctx), ['CheckpointID', 'CheckpointDir', 'Exit']);
    const name = optString(body['CheckpointID'], 'CheckpointID');
    if (name === undefined) throw new InvalidArgument('a checkpoint needs a name (CheckpointID)');
    if (body['Exit'] !== undefined && typeof body['Exit'] !== 'boolean') throw new InvalidArgument('json: cannot unmarshal into Go struct field CheckpointCreateOptions.Exit of type bool');
    // The CLI sends Exit = !--leave-running; a body without it leaves the container running, as dockerd's zero value.
    await cp.create(param(ctx, 'id'), name, { dir: optString(body['CheckpointDir'], 'CheckpointDir'), leaveRunning: body['Exit'] !== true });
    ctx.sendStatus(201);
  });

  r.add('GET', '/containers/{id}/checkpoints', async (ctx) => {
    const names = await checkpointsOf(deps).list(param(ctx, 'id'), { dir: ctx.query.get('dir') ?? undefined });
    ctx.sendJson(200, names.map((Name) => ({ Name })));
  });

  r.add('DELETE', '/containers/{id}/checkpoints/{checkpoint}', async (ctx) => {
    await checkpointsOf(deps).remove(param(ctx, 'id'), param(ctx, 'checkpoint'), { dir: ctx.query.get('dir') ?? undefined });
    ctx.sendStatus(204);
  });
}

/** POST /containers/{id}/start?checkpoint=NAME&checkpoint-dir=DIR: true when the query asked for a restore, done. */
export async function startFromCheckpoint(deps: EngineDeps, ctx: HttpContext, id: string): Promise<boolean> {
  const name = ctx.query.get('checkpoint') ?? '';
  const dir = ctx.query.get('checkpoint-dir') ?? '';
  if (name === '' && dir === '') return false;
  if (name === '') throw new InvalidArgument('checkpoint-dir is given without a checkpoint to restore (checkpoint=NAME)');
  await checkpointsOf(deps).restore(id, name, { dir: dir || undefined });
  return true;
}
