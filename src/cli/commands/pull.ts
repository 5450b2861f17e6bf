import type { JSONMessage } from '../../api/index.js';
import { jsonLines } from '../../api/index.js';
import type { CliContext } from '../context.js';
import { printMessages } from './image-io.js';
import { registryAuthHeader } from './login.js';

/** `berth pull -a NAME`: every tag of the repository (an empty tag asks berthd for all, as docker does). */
export async function pullAllTags(ctx: CliContext, name: string, opts: { platform?: string; quiet?: boolean }): Promise<number> {
  const api = await ctx.api();
  const auth = await registryAuthHeader(ctx, name);
  const s = await api.client.stream('POST', '/images/create', {
    query: { fromImage: name, tag: '', platform: opts.platform },
    ...(auth ? { headers: { 'X-Registry-Auth': auth } } : {}),
  });
  await printMessages(jsonLines<JSONMessage>(s), ctx.stdout, opts.quiet === true);
  if (opts.quiet) ctx.out(`${name}\n`);
  return 0;
}
