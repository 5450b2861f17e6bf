import { cancelUpload, deleteBlob, finishUpload, getBlob, patchUpload, startUpload, uploadStatus } from './blobs.js';
import type { RegistryHandler } from './context.js';
import { registryError } from './errors.js';
import { catalog, listTags, referrers } from './listing.js';
import { deleteManifest, getManifest, putManifest } from './manifests.js';

export interface Route {
  repo: string;
  ref: string;
  handler: RegistryHandler;
  /** The scope action the route needs; anything but pull is a write, refused in read-only mode. */
  action: 'pull' | 'push' | 'delete';
}

type Entry = { handler: RegistryHandler; action: Route['action'] };
type Table = Record<string, Entry>;
const r = (handler: RegistryHandler, action: Route['action'] = 'pull'): Entry => ({ handler, action });

const BLOBS: Table = { GET: r(getBlob), HEAD: r(getBlob), DELETE: r(deleteBlob, 'delete') };
const UPLOADS: Table = { POST: r(startUpload, 'push') };
// Upload status is read by pushers only, so it needs push like the rest of the session.
const UPLOAD: Table = { GET: r(uploadStatus, 'push'), PATCH: r(patchUpload, 'push'), PUT: r(finishUpload, 'push'), DELETE: r(cancelUpload, 'push') };
const MANIFESTS: Table = { GET: r(getManifest), HEAD: r(getManifest), PUT: r(putManifest, 'push'), DELETE: r(deleteManifest, 'delete') };
const TAGS: Table = { GET: r(listTags), HEAD: r(listTags) };
const REFERRERS: Table = { GET: r(referrers), HEAD: r(referrers) };
const CATALOG: Table = { GET: r(catalog), HEAD: r(catalog) };

// Matched on the raw path, last segments first: a repository name may itself contain "blobs" or "manifests".
const PATTERNS: [RegExp, Table][] = [
  [/^\/v2\/(.+)\/blobs\/uploads\/?$/, UPLOADS],
  [/^\/v2\/(.+)\/blobs\/uploads\/([^/]+)$/, UPLOAD],
  [/^\/v2\/(.+)\/blobs\/([^/]+)$/, BLOBS],
  [/^\/v2\/(.+)\/manifests\/([^/]+)$/, MANIFESTS],
  [/^\/v2\/(.+)\/tags\/list$/, TAGS],
  [/^\/v2\/(.+)\/referrers\/([^/]+)$/, REFERRERS],
];

/** The route for a method and raw path; null when the path is no distribution route at all. */
export function matchRoute(method: string, path: string): Route | null {
  if (path === '/v2/_catalog') return pick(CATALOG, method, '', '');
  for (const [re, table] of PATTERNS) {
    const m = re.exec(path);
    if (m) return pick(table, method, m[1] as string, m[2] ?? '');
  }
  return null;
}

function pick(table: Table, method: string, repo: string, ref: string): Route {
  const t = table[method];
  if (!t) throw registryError('METHOD_UNKNOWN', { message: `method ${method} is not allowed here` });
  return { repo, ref, ...t };
}
