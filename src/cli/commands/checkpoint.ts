import { isApiError } from '../../api/index.js';
import type { CliContext } from '../context.js';
import { tabwrite } from '../format/tabwriter.js';

function fail(ctx: CliContext, e: unknown): number {
  ctx.err(`Error response from daemon: ${isApiError(e) ? e.message : (e as Error).message}\n`);
  return 1;
}

/** berth checkpoint create: as the docker CLI, prints the checkpoint's name; the container stops unless --leave-running. */
export async function checkpointCreate(ctx: CliContext, container: string, name: string, opts: { checkpointDir?: string; leaveRunning?: boolean }): Promise<number> {
  const api = await ctx.api();
  try {
    await api.checkpointCreate(container, { CheckpointID: name, ...(opts.checkpointDir ? { CheckpointDir: opts.checkpointDir } : {}), Exit: opts.leaveRunning !== true });
    ctx.out(`${name}\n`);
    return 0;
  } catch (e) {
    return fail(ctx, e);
  }
}

export async function checkpointList(ctx: CliContext, container: string, opts: { checkpointDir?: string }): Promise<number> {
  const api = await ctx.api();
  try {
    const list = await api.checkpointList(container, opts.checkpointDir);
    ctx.out(tabwrite(['CHECKPOINT NAME', ...list.map((c) => c.Name)].join('\n') + '\n', 1, 3));
    return 0;
  } catch (e) {
    return fail(ctx, e);
  }
}

export async function checkpointRemove(ctx: CliContext, container: string, name: string, opts: { checkpointDir?: string }): Promise<number> {
  const api = await ctx.api();
  try {
    await api.checkpointDelete(container, name, opts.checkpointDir);
    return 0;
  } catch (e) {
    return fail(ctx, e);
  }
}
