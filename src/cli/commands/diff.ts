import type { CliContext } from '../context.js';

const LETTER = ['C', 'A', 'D'] as const;

/** `berth diff`: the container's changes as docker prints them (C, A, D and the path). */
export async function diff(ctx: CliContext, container: string): Promise<number> {
  const api = await ctx.api();
  const changes = await api.client.json<{ Path: string; Kind: number }[] | null>('GET', `/containers/${encodeURIComponent(container)}/changes`);
  for (const c of changes ?? []) ctx.out(`${LETTER[c.Kind] ?? '?'} ${c.Path}\n`);
  return 0;
}
