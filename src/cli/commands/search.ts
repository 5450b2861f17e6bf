import { parseFilters, type ImageSearchResult } from '../../api/index.js';
import type { CliContext } from '../context.js';
import { ellipsis, renderFormat } from '../format/formatter.js';
import { registryAuthHeader } from './login.js';

/** docker's search formatter (cli/command/registry/formatter_search.go). */
export const DEFAULT_SEARCH_FORMAT = 'table {{.Name}}\t{{.Description}}\t{{.StarCount}}\t{{.IsOfficial}}';
export const SEARCH_HEADERS: Record<string, string> = { Name: 'NAME', Description: 'DESCRIPTION', StarCount: 'STARS', IsOfficial: 'OFFICIAL', IsAutomated: 'AUTOMATED' };

export function searchRows(results: readonly ImageSearchResult[], trunc: boolean): Array<Record<string, string>> {
  return results.map((r) => {
    const desc = r.description.replace(/[\r\n]/g, ' ');
    return {
      Name: r.name,
      Description: trunc ? ellipsis(desc, 45) : desc,
      StarCount: String(r.star_count),
      IsOfficial: r.is_official ? '[OK]' : '',
      IsAutomated: r.is_automated ? '[OK]' : '',
    };
  });
}

/** `berth search [--limit N] [-f is-official=true|stars=N] [--format T] [--no-trunc] TERM`, through GET /images/search. */
export async function search(ctx: CliContext, term: string, opts: { limit?: string; filter?: string[]; format?: string; trunc?: boolean }): Promise<number> {
  const api = await ctx.api();
  const auth = await registryAuthHeader(ctx, term);
  const filters = parseFilters(opts.filter ?? []);
  const results = await api.client.json<ImageSearchResult[]>('GET', '/images/search', {
    query: { term, limit: opts.limit, filters: Object.keys(filters).length ? filters : undefined },
    ...(auth ? { headers: { 'X-Registry-Auth': auth } } : {}),
  });
  ctx.out(renderFormat(opts.format ?? DEFAULT_SEARCH_FORMAT, searchRows(results, opts.trunc !== false), SEARCH_HEADERS));
  return 0;
}
