import type { Remote, SearchHit } from '../../core/remotes/index.js';
import { DOCKER_HUB } from '../../core/remotes/index.js';
import { InvalidArgument } from '../../errdefs/index.js';
import type { RemoteOptions } from './remote-deps.js';

export const DEFAULT_SEARCH_LIMIT = 25;

export interface SearchOptions extends RemoteOptions {
  limit?: number;
  /** is-official, is-automated (true|false), stars (a minimum). */
  filters?: Map<string, string[]>;
}

const BOOL_FILTERS = ['is-official', 'is-automated'] as const;

/**
 * `docker search TERM`: as dockerd splits it, `host/rest` searches registry `host` for `rest` when the
 * first part looks like a host (a dot, a port or localhost), anything else searches Docker Hub; the
 * registry's answer (at most `limit`) is then filtered.
 */
export async function searchImages(remote: Remote, term: string, opts: SearchOptions = {}): Promise<SearchHit[]> {
  if (term.trim() === '') throw new InvalidArgument('a search term is required');
  const limit = opts.limit ?? DEFAULT_SEARCH_LIMIT;
  if (!Number.isInteger(limit) || limit < 1 || limit > 100) throw new InvalidArgument(`Limit ${limit} is outside the range of [1, 100]`);
  const wanted = checkFilters(opts.filters ?? new Map());
  const slash = term.indexOf('/');
  const first = slash < 0 ? '' : term.slice(0, slash);
  const isHost = first.includes('.') || first.includes(':') || first === 'localhost';
  const [domain, remoteTerm] = isHost ? [first, term.slice(slash + 1)] : [DOCKER_HUB, term];
  const hits = await remote.search(domain, remoteTerm, limit, { ...(opts.creds ? { creds: opts.creds } : {}), ...(opts.signal ? { signal: opts.signal } : {}) });
  return hits.filter(
    (h) =>
      (wanted.official === undefined || h.isOfficial === wanted.official) &&
      (wanted.automated === undefined || h.isAutomated === wanted.automated) &&
      h.starCount >= wanted.stars,
  );
}

function checkFilters(f: Map<string, string[]>): { official?: boolean; automated?: boolean; stars: number } {
  const out: { official?: boolean; automated?: boolean; stars: number } = { stars: 0 };
  for (const [key, values] of f) {
    if (!(BOOL_FILTERS as readonly string[]).includes(key) && key !== 'stars') throw new InvalidArgument(`invalid filter '${key}'`);
    for (const v of values) {
      if (key === 'stars') {
        if (!/^\d+$/.test(v)) throw new InvalidArgument(`invalid filter 'stars=${v}'`);
        out.stars = Math.max(out.stars, Number(v));
      } else {
        if (v !== 'true' && v !== 'false') throw new InvalidArgument(`invalid filter '${key}=${v}'`);
        if (key === 'is-official') out.official = v === 'true';
        else out.automated = v === 'true';
      }
    }
  }
  return out;
}
