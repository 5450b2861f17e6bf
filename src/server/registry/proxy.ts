import type { ServerResponse } from 'node:http';
import type { ContentStore } from '../../core/content/index.js';
import { drainedOrClosed, isDigest, sha256, type Digest } from '../../util/index.js';
import type { RegistryRequest } from './context.js';
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
  /** Blob fetches under way, by repository and digest. */
  readonly #inflight = new Map<string, Inflight>();

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

  /**
   * The upstream's tag list for a mirrored repository (n and last passed on), remembered so that the
   * last answer is served when the upstream fails; null when the repository is not mirrored or the
   * upstream never answered (the local tags, those pulled through, are the answer then).
   */
  async tags(repo: string, query: URLSearchParams, signal: AbortSignal): Promise<{ body: Buffer; link: string | null } | null> {
    const route = this.route(repo);
    if (!route) return null;
    const q = new URLSearchParams();
    for (const k of ['n', 'last']) {
      const v = query.get(k);
      if (v !== null) q.set(k, v);
    }
    const request = q.toString();
    let unknown = false;
    try {
      const res = await route.up.get(route.remote, `tags/list${request ? `?${request}` : ''}`, { signal });
      if (res.ok) {
        const j = (await res.json()) as { tags?: unknown };
        const tags = Array.isArray(j.tags) ? j.tags.filter((t): t is string => typeof t === 'string') : [];
        const body = Buffer.from(JSON.stringify({ name: repo, tags }));
        // The upstream's next-page link names its own repository path: point it at ours.
        const link = res.headers.get('link')?.replace(`/v2/${route.remote}/`, `/v2/${repo}/`) ?? null;
        this.meta.putUpstreamAnswer(repo, request, body, link);
        return { body, link };
      }
      await res.body?.cancel();
      if (res.status === 404) unknown = true;
    } catch {
      // Unreachable, cut off or garbled: the last answer stands in.
    }
    if (unknown) throw registryError('NAME_UNKNOWN', { message: 'repository name not known to the upstream registry', detail: { name: repo } });
    return this.meta.upstreamAnswer(repo, request);
  }

  /**
   * GET of a blob a mirrored repository does not hold yet: streamed to the client while it is
   * written to the cache (hashed on the way, committed only when the digest matches; the last chunk
   * is held back until then, so a client never receives a whole wrong blob). Concurrent requests for
   * the same blob wait for the one fetch; a range waits for the whole blob; HEAD asks the upstream's
   * HEAD. Returns true when
   * it answered the request, false when the cache can now answer it (or the repository is not mirrored).
   */
  async serveBlob(r: RegistryRequest, d: Digest, headers: Record<string, string | number>): Promise<boolean> {
    const route = this.route(r.repo);
    if (!route || this.meta.blobLink(r.repo, d) !== null) return false;
    const key = `${r.repo}@${d}`;
    const running = this.#inflight.get(key);
    if (running) {
      running.waiters++;
      try {
        await running.done;
      } catch {
        // That fetch failed or was abandoned: this request tries its own below, once.
      } finally {
        running.waiters--;
      }
      if (this.meta.blobLink(r.repo, d) !== null || r.signal.aborted || this.#inflight.has(key)) return false;
    }
    if (await this.content.info(d)) {
      // The bytes are here for another repository: link them once the upstream confirms this one has them.
      const head = await route.up.get(route.remote, `blobs/${d}`, { method: 'HEAD', signal: r.signal }).catch((e: unknown) => {
        throw registryError('BLOB_UNKNOWN', { message: `upstream unavailable and blob not cached: ${(e as Error).message}`, cause: e });
      });
      if (!head.ok) throw registryError('BLOB_UNKNOWN', { detail: { digest: d } });
      const info = await this.content.info(d);
      if (info) this.meta.linkBlob(r.repo, d, info.size);
      return false;
    }
    if (r.req.method === 'HEAD') {
      // Existence and size only: the upstream's HEAD answers, nothing is fetched or cached.
      const head = await route.up.get(route.remote, `blobs/${d}`, { method: 'HEAD', signal: r.signal }).catch((e: unknown) => {
        throw registryError('BLOB_UNKNOWN', { message: `upstream unavailable and blob not cached: ${(e as Error).message}`, cause: e });
      });
      const size = Number(head.headers.get('content-length') ?? NaN);
      if (!head.ok || !Number.isSafeInteger(size)) throw registryError('BLOB_UNKNOWN', { detail: { digest: d } });
      r.res.writeHead(200, { ...headers, 'Content-Length': size });
      r.res.end();
      return true;
    }
    const tap = r.req.headers.range === undefined ? r.res : null;
    const entry: Inflight = { waiters: 0, done: Promise.resolve() };
    entry.done = this.#fetch(r.repo, d, route, entry, r.signal, tap ? { res: tap, headers } : null);
    this.#inflight.set(key, entry);
    try {
      await entry.done;
    } finally {
      this.#inflight.delete(key);
    }
    return tap !== null;
  }

  async #fetch(
    repo: string,
    d: Digest,
    route: { up: UpstreamClient; remote: string },
    entry: Inflight,
    clientSignal: AbortSignal,
    tap: { res: ServerResponse; headers: Record<string, string | number> } | null,
  ): Promise<void> {
    // The fetch outlives its first client while others wait for it; with nobody left it stops.
    const ac = new AbortController();
    const abandon = (): void => {
      if (entry.waiters === 0) ac.abort(new Error('every client of this blob left'));
    };
    clientSignal.addEventListener('abort', abandon, { once: true });
    try {
      let res: Response;
      try {
        res = await route.up.get(route.remote, `blobs/${d}`, { signal: ac.signal });
      } catch (e) {
        throw registryError('BLOB_UNKNOWN', { message: `upstream unavailable and blob not cached: ${(e as Error).message}`, cause: e });
      }
      if (!res.ok || !res.body) {
        await res.body?.cancel();
        if (res.status === 429) throw registryError('TOOMANYREQUESTS');
        throw registryError('BLOB_UNKNOWN', { detail: { digest: d } });
      }
      const length = Number(res.headers.get('content-length') ?? NaN);
      const size = Number.isFinite(length) ? length : undefined;
      const out = tap?.res ?? null;
      out?.writeHead(200, { ...tap?.headers, ...(size !== undefined ? { 'Content-Length': size } : {}) });
      let held: Buffer | null = null;
      const body = res.body as AsyncIterable<Uint8Array>;
      async function* tee(): AsyncIterable<Buffer> {
        for await (const u of body) {
          const chunk = Buffer.from(u.buffer, u.byteOffset, u.byteLength);
          if (out && held && !out.destroyed && !out.write(held)) await drainedOrClosed(out);
          held = chunk;
          yield chunk;
        }
      }
      const info = await this.content.write(tee(), { digest: d, ...(size !== undefined ? { size } : {}) }, { signal: ac.signal });
      this.meta.linkBlob(repo, info.digest, info.size);
      if (out && !out.destroyed) out.end(held ?? undefined);
    } finally {
      clientSignal.removeEventListener('abort', abandon);
    }
  }
}

interface Inflight {
  waiters: number;
  done: Promise<void>;
}

