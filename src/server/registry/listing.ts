import { MediaType } from '../../oci/index.js';
import { sendJson, type RegistryRequest } from './context.js';
import { registryError } from './errors.js';
import { checkDigestParam } from './names.js';
import { MAX_MANIFEST_BYTES } from './manifests.js';

const MAX_PAGE = 10_000;

/** `n` and `last`; n absent means "all" (capped), n=0 an empty page. */
function page(r: RegistryRequest): { n: number; last: string; explicit: boolean } {
  const nParam = r.query.get('n');
  let n = MAX_PAGE;
  if (nParam !== null) {
    if (!/^\d+$/.test(nParam)) throw registryError('PAGINATION_NUMBER_INVALID', { detail: { n: nParam } });
    n = Math.min(Number(nParam), MAX_PAGE);
  }
  return { n, last: r.query.get('last') ?? '', explicit: nParam !== null };
}

function link(path: string, n: number, last: string): string {
  return `<${path}?n=${n}&last=${encodeURIComponent(last)}>; rel="next"`;
}

export async function listTags(r: RegistryRequest): Promise<void> {
  const { n, last, explicit } = page(r);
  const upstream = await r.deps.proxy?.tags(r.repo, r.query, r.signal);
  if (upstream) {
    r.res.writeHead(200, { 'Content-Type': 'application/json', 'Content-Length': upstream.body.length, ...(upstream.link ? { Link: upstream.link } : {}) });
    r.res.end(upstream.body);
    return;
  }
  if (!r.deps.meta.repositoryKnown(r.repo)) throw registryError('NAME_UNKNOWN', { detail: { name: r.repo } });
  // One more than asked tells whether a next page exists.
  const tags = n === 0 ? [] : r.deps.meta.tags(r.repo, last, n + 1);
  const more = tags.length > n;
  const shown = tags.slice(0, n);
  const headers: Record<string, string> = {};
  if (more && explicit) headers['Link'] = link(`/v2/${r.repo}/tags/list`, n, shown[shown.length - 1] as string);
  sendJson(r.res, 200, { name: r.repo, tags: shown }, headers);
}

export function catalog(r: RegistryRequest): void {
  const { n, last, explicit } = page(r);
  const repos = n === 0 ? [] : r.deps.meta.catalog(last, n + 1);
  const more = repos.length > n;
  const shown = repos.slice(0, n);
  const headers: Record<string, string> = {};
  if (more && explicit) headers['Link'] = link('/v2/_catalog', n, shown[shown.length - 1] as string);
  sendJson(r.res, 200, { repositories: shown }, headers);
}

/** GET /v2/<name>/referrers/<digest>: an OCI index of the manifests whose subject is <digest>. */
export async function referrers(r: RegistryRequest): Promise<void> {
  const subject = checkDigestParam(r.ref);
  const filter = r.query.get('artifactType');
  const found = r.deps.meta.referrers(r.repo, subject).filter((m) => filter === null || m.artifactType === filter);
  const manifests = [];
  for (const m of found) {
    let annotations: unknown;
    try {
      const doc = JSON.parse((await r.deps.manifests.get(m.digest, MAX_MANIFEST_BYTES)).toString('utf8')) as { annotations?: unknown };
      annotations = doc.annotations;
    } catch {
      annotations = undefined;
    }
    manifests.push({
      mediaType: m.mediaType,
      digest: m.digest,
      size: m.size,
      ...(m.artifactType !== null ? { artifactType: m.artifactType } : {}),
      ...(annotations !== undefined ? { annotations } : {}),
    });
  }
  const headers: Record<string, string> = filter !== null ? { 'OCI-Filters-Applied': 'artifactType' } : {};
  sendJson(r.res, 200, { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests }, headers, MediaType.ociIndex);
}
