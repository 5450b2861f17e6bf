import { Internal, NotImplemented } from '../../errdefs/index.js';
import type { Credentials } from './auth.js';
import { headerOf, readSmall, registryError, type RegistryClient } from './client.js';
import { DOCKER_HUB, type RegistryEndpoint } from './hosts.js';

/** One search hit (Docker's v1 search result, camelCase). */
export interface SearchHit {
  name: string;
  description: string;
  starCount: number;
  isOfficial: boolean;
  isAutomated: boolean;
}

/** Docker Hub's search lives on its index host, not on registry-1.docker.io. */
export const DOCKER_HUB_INDEX: RegistryEndpoint = { origin: 'https://index.docker.io', authHost: DOCKER_HUB, mirror: false, insecure: false };

interface V1Result {
  name?: unknown;
  description?: unknown;
  star_count?: unknown;
  is_official?: unknown;
  is_automated?: unknown;
}

const CATALOG_PAGES = 100;

/**
 * Searches a registry: `GET /v1/search?q=&n=` (Docker Hub's index API, which dockerd calls); where
 * that is missing (the distribution registry has no search), the `/v2/_catalog` listing filtered to
 * names containing `term`, named `domain/name` so they can be pulled as they are. A registry with
 * neither is NotImplemented.
 */
export async function searchRegistry(
  client: RegistryClient,
  ep: RegistryEndpoint,
  domain: string,
  term: string,
  limit: number,
  opts: { creds?: Credentials; signal?: AbortSignal } = {},
): Promise<SearchHit[]> {
  const sig = opts.signal ? { signal: opts.signal } : {};
  const q = new URLSearchParams({ q: term, n: String(limit) });
  const v1 = await client.request(ep, { method: 'GET', path: `/v1/search?${q.toString()}`, scopes: [], ...sig }, opts.creds);
  const v1Text = (await readSmall(v1.body)).toString('utf8');
  if (v1.status === 200) {
    const results = parse<{ results?: V1Result[] | null }>(v1Text, `${ep.origin}/v1/search`).results ?? [];
    return results.map(hitOf).slice(0, limit);
  }
  if (v1.status !== 404 && v1.status !== 405) throw registryError(v1.status, v1Text, `${ep.origin}/v1/search`);
  if (domain === DOCKER_HUB) throw registryError(v1.status, v1Text, `${ep.origin}/v1/search`);

  const hits: SearchHit[] = [];
  let path: string | undefined = '/v2/_catalog?n=1000';
  for (let page = 0; path && page < CATALOG_PAGES && hits.length < limit; page++) {
    const res = await client.request(ep, { method: 'GET', path, scopes: ['registry:catalog:*'], ...sig }, opts.creds);
    const text = (await readSmall(res.body)).toString('utf8');
    if (res.status === 404 || res.status === 405) {
      throw new NotImplemented(`${domain} does not support search: it answers neither /v1/search nor /v2/_catalog (HTTP ${res.status})`);
    }
    if (res.status >= 400) throw registryError(res.status, text, `${ep.origin}/v2/_catalog`);
    const repos = parse<{ repositories?: string[] | null }>(text, `${ep.origin}/v2/_catalog`).repositories ?? [];
    for (const r of repos) {
      if (r.includes(term)) hits.push({ name: `${domain}/${r}`, description: '', starCount: 0, isOfficial: false, isAutomated: false });
    }
    const link = headerOf(res, 'link');
    path = link ? /<([^>]+)>/.exec(link)?.[1] : undefined;
  }
  return hits.slice(0, limit);
}

function parse<T>(text: string, where: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new Internal(`${where} answered something that is not JSON: ${text.slice(0, 100)}`, { cause: e });
  }
}

function hitOf(r: V1Result): SearchHit {
  return {
    name: typeof r.name === 'string' ? r.name : '',
    description: typeof r.description === 'string' ? r.description : '',
    starCount: typeof r.star_count === 'number' ? r.star_count : 0,
    isOfficial: r.is_official === true,
    isAutomated: r.is_automated === true,
  };
}
