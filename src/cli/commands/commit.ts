import type { CliContext } from '../context.js';
import { splitReference } from './image-io.js';

export interface CommitCliOptions {
  author?: string;
  change?: string[];
  message?: string;
  /** commander gives true, or the text after --pause= */
  pause?: boolean | string;
}

/** `berth commit`: prints the new image's ID (sha256:…) as docker does. */
export async function commit(ctx: CliContext, container: string, ref: string | undefined, opts: CommitCliOptions): Promise<number> {
  const { repo, tag } = ref === undefined ? { repo: undefined, tag: undefined } : splitReference(ref);
  const pause = opts.pause === undefined || opts.pause === true || !/^(false|0)$/i.test(String(opts.pause));
  const api = await ctx.api();
  const res = await api.client.json<{ Id: string }>('POST', '/commit', {
    query: {
      container,
      repo,
      tag,
      comment: opts.message,
      author: opts.author,
      changes: opts.change && opts.change.length > 0 ? opts.change : undefined,
      pause,
    },
  });
  ctx.out(`${res.Id}\n`);
  return 0;
}
