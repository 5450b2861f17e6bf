import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { InvalidArgument } from '../../errdefs/index.js';
import type { CliContext } from '../context.js';

/** `berth export`: the container's filesystem as a tar, to a file or a redirected stdout. */
export async function exportContainer(ctx: CliContext, container: string, opts: { output?: string }): Promise<number> {
  if (opts.output === undefined && ctx.stdout.isTTY) throw new InvalidArgument('cowardly refusing to save to a terminal. Use the -o flag or redirect');
  const api = await ctx.api();
  const tar = await api.client.stream('GET', `/containers/${encodeURIComponent(container)}/export`);
  if (opts.output !== undefined) await pipeline(tar, createWriteStream(opts.output));
  else await pipeline(tar, ctx.stdout, { end: false });
  return 0;
}
