import type { JSONMessage } from '../../api/index.js';
import { jsonLines } from '../../api/index.js';
import type { CliContext } from '../context.js';
import { printMessages, splitReference } from './image-io.js';
import { registryAuthHeader } from './login.js';

/** `berth push [-a] NAME[:TAG]`: without a tag, `latest` (all tags with -a), as docker 28 does. */
export async function push(ctx: CliContext, name: string, opts: { allTags?: boolean; quiet?: boolean }): Promise<number> {
  const { repo, tag } = splitReference(name);
  const api = await ctx.api();
  const auth = await registryAuthHeader(ctx, repo);
  const s = await api.client.stream('POST', `/images/${repo}/push`, {
    query: { tag: opts.allTags ? undefined : (tag ?? 'latest') },
    ...(auth ? { headers: { 'X-Registry-Auth': auth } } : {}),
  });
  await printMessages(jsonLines<JSONMessage>(s), ctx.stdout, opts.quiet === true);
  if (opts.quiet) ctx.out(`${repo}${opts.allTags ? '' : `:${tag ?? 'latest'}`}\n`);
  return 0;
}
