import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import type { ContentStore } from '../../core/content/index.js';
import { isDigest, sha256, type Digest } from '../../util/index.js';
import { registryError } from './errors.js';
import type { ManifestCache } from './manifest-cache.js';
import { MAX_MANIFEST_BYTES, parseManifestBody } from './manifests.js';
import type { RegistryMetadata } from './metadata.js';
import { UpstreamClient, type UpstreamConfig } from './upstream.js';

const ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
].join(', ');

/**
 * Pull-through cache: manifests by tag are refreshed from the upstream on every pull and served from
 * the cache when the upstream fails or limits its rate; content by digest is fetched once, verified,
 * and kept. Repositories an upstream serves are read-only here.
 */
export class PullThrough {
  readonly #upstreams: UpstreamClient[];

  constructor(
    upstreams: readonly UpstreamConfig[],
    private readonly meta: RegistryMetadata,
    private readonly content: ContentStore,
    private readonly manifests: ManifestCache,
  ) {
    // Longest prefix first, the catch-all (null) last.
    this.#upstreams = [...upstreams].sort((a, b) => (b.prefix?.length ?? -1) - (a.prefix?.length ?? -1)).map((u) => new UpstreamClient(u));
  }

  /** The upstream and its repository name for a local repository, or null when none mirrors it. */
  route(repo: string): { up: UpstreamClient; remote: string } | null {
    for (const up of this.#upstreams) {
      const p = up.config.prefix;
      if (p === null) return { up, remote: repo };
      if (repo.startsWith(`${p}/`)) return { up, remote: repo.slice(p.length + 1) };
    }
    return null;
  }

  /**
   * Makes the manifest `ref` (tag or digest) of `repo` present locally, refreshing tags from the
   * upstream; returns its digest, or null when the repository is not mirrored.
   */
  async manifest(repo: string, ref: { tag: string } | { digest: Digest }, signal: AbortSignal): Promise<Digest | null> {
    const route = this.route(repo);
    if (!route) return null;
    if ('digest' in ref && this.meta.manifest(repo, ref.digest)) return ref.digest;
    const cachedTag = 'tag' in ref ? this.meta.tag(repo, ref.tag) : null;
    let res: Response;
    try {
      res = await route.up.get(route.remote, `manifests/${'tag' in ref ? ref.tag : ref.digest}`, { accept: ACCEPT, signal });
    } catch (e) {
      if (cachedTag) return cachedTag;
      throw registryError('MANIFEST_UNKNOWN', { message: `upstream unavailable and nothing cached: ${(e as Error).message}`, cause: e });
    }
    if (!res.ok) {
      await res.body?.cancel();
      if (cachedTag && (res.status === 429 || res.status >= 500 || res.status === 401 || res.status === 403)) return cachedTag;
      if (res.status === 429) throw registryError('TOOMANYREQUESTS', { message: 'the upstream registry limits its rate and nothing is cached' });
      throw registryError('MANIFEST_UNKNOWN', { message: `upstream answered ${res.status}` });
    }
    const body = Buffer.from(await res.arrayBuffer());
    if (body.length > MAX_MANIFEST_BYTES) throw registryError('MANIFEST_TOO_LARGE');
    const digest = sha256(body);
    const claimed = 'digest' in ref ? ref.digest : res.headers.get('docker-content-digest');
    if (claimed && isDigest(claimed) && claimed !== digest) {
      throw registryError('DIGEST_INVALID', { message: `upstream manifest digest ${digest} does not match ${claimed}` });
    }
    const parsed = parseManifestBody(body, res.headers.get('content-type') ?? undefined);
    await this.content.write(body, { digest, size: body.length }, { signal });
    this.manifests.put(digest, body);
    this.meta.putManifest(
      { repo, digest, mediaType: parsed.mediaType, size: body.length, artifactType: parsed.artifactType, subject: parsed.subject?.digest ?? null },
      [...parsed.blobs, ...parsed.manifests].map((d) => d.digest),
      'tag' in ref ? ref.tag : null,
    );
    return digest;
  }

  /** Makes blob `d` of `repo` present locally (fetched and verified once); false when not mirrored. */
  async blob(repo: string, d: Digest, signal: AbortSignal): Promise<boolean> {
    const route = this.route(repo);
    if (!route) return false;
    if (this.meta.blobLink(repo, d) !== null) return true;
    let res: Response;
    try {
      res = await route.up.get(route.remote, `blobs/${d}`, { signal });
    } catch (e) {
      throw registryError('BLOB_UNKNOWN', { message: `upstream unavailable and blob not cached: ${(e as Error).message}`, cause: e });
    }
    if (!res.ok || !res.body) {
      await res.body?.cancel();
      if (res.status === 429) throw registryError('TOOMANYREQUESTS');
      throw registryError('BLOB_UNKNOWN', { detail: { digest: d } });
    }
    const length = Number(res.headers.get('content-length') ?? NaN);
    const source = Readable.fromWeb(res.body as WebReadableStream<Uint8Array>);
    try {
      const info = await this.content.write(source, { digest: d, ...(Number.isFinite(length) ? { size: length } : {}) }, { signal });
      this.meta.linkBlob(repo, info.digest, info.size);
    } finally {
      source.destroy();
    }
    return true;
  }
}
