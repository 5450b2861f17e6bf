import type { Readable } from 'node:stream';
import { InvalidArgument, NotFound } from '../../errdefs/index.js';
import { MediaType, isIndexMediaType, isManifestMediaType, type Descriptor } from '../../oci/index.js';
import { sha256, type Digest } from '../../util/index.js';
import type { Credentials } from './auth.js';
import { discard, headerOf, readSmall, registryError, RegistryClient, type ClientState } from './client.js';
import { DOCKER_HUB, RegistryHosts, type HostsConfig, type RegistryEndpoint } from './hosts.js';
import { DOCKER_HUB_INDEX, searchRegistry, type SearchHit } from './search.js';
import { BlobUpload, DEFAULT_UPLOAD_POLICY, type OpenRange, type UploadOptions, type UploadPolicy } from './upload.js';

/** A Remote's settings and what its client learnt, as plain data (structured-clone safe). */
export interface RemoteState {
  hosts: HostsConfig;
  client: ClientState;
}

/** A repository on a registry: domain docker.io, path library/busybox. */
export interface RemoteRepo {
  domain: string;
  path: string;
}

export interface ResolvedManifest {
  descriptor: Descriptor;
  bytes: Buffer;
}

const MANIFEST_ACCEPT = [MediaType.dockerManifest, MediaType.dockerManifestList, MediaType.ociManifest, MediaType.ociIndex].join(', ');
const MAX_MANIFEST = 4 << 20;

function name(repo: RemoteRepo, ref: string): string {
  return `${repo.domain}/${repo.path}${ref.startsWith('sha256:') ? '@' : ':'}${ref}`;
}

/**
 * Resolver, fetcher and pusher for one registry protocol (OCI distribution / Docker Registry V2).
 * Reads try the domain's mirrors in order and fall back to the origin; writes go to the origin.
 */
export class Remote {
  constructor(
    readonly client: RegistryClient,
    readonly hosts: RegistryHosts,
    readonly uploadPolicy: UploadPolicy = DEFAULT_UPLOAD_POLICY,
  ) {}

  /** What a Remote on another thread needs to read `domain` as this one does (see ClientState). */
  async exportState(domain: string): Promise<RemoteState> {
    return { hosts: this.hosts.config, client: await this.client.exportState(this.hosts.pullEndpoints(domain).map((ep) => ep.authHost)) };
  }

  static fromState(state: RemoteState): Remote {
    return new Remote(RegistryClient.fromState(state.client), new RegistryHosts(state.hosts));
  }

  async #firstOf<T>(repo: RemoteRepo, attempt: (ep: RegistryEndpoint) => Promise<T>): Promise<T> {
    const eps = this.hosts.pullEndpoints(repo.domain);
    let last: unknown;
    for (const ep of eps) {
      try {
        return await attempt(ep);
      } catch (e) {
        last = e;
        if (!ep.mirror) throw e;
      }
    }
    throw last;
  }

  /** Resolves a tag or digest to the manifest (or index) it names; NotFound in Docker's words when missing. */
  resolve(repo: RemoteRepo, ref: string, creds?: Credentials, signal?: AbortSignal): Promise<ResolvedManifest> {
    return this.#firstOf(repo, (ep) => this.#getManifest(ep, repo, ref, creds, signal));
  }

  /** A manifest by digest (a platform's manifest out of an index). */
  fetchManifest(repo: RemoteRepo, digest: Digest, creds?: Credentials, signal?: AbortSignal): Promise<ResolvedManifest> {
    return this.resolve(repo, digest, creds, signal);
  }

  async #getManifest(ep: RegistryEndpoint, repo: RemoteRepo, ref: string, creds: Credentials | undefined, signal?: AbortSignal): Promise<ResolvedManifest> {
    const res = await this.client.request(
      ep,
      { method: 'GET', path: `/v2/${repo.path}/manifests/${ref}`, headers: { accept: MANIFEST_ACCEPT }, scopes: [`repository:${repo.path}:pull`], ...(signal ? { signal } : {}) },
      creds,
    );
    const bytes = await readSmall(res.body, MAX_MANIFEST);
    if (res.status === 404) {
      const e = registryError(404, bytes.toString('utf8'), ep.origin);
      throw new NotFound(`manifest for ${name(repo, ref)} not found: ${e.message}`);
    }
    if (res.status >= 400) throw registryError(res.status, bytes.toString('utf8'), `${ep.origin}/v2/${repo.path}/manifests/${ref}`);
    const digest = sha256(bytes);
    if (ref.startsWith('sha256:') && digest !== ref) {
      throw new InvalidArgument(`manifest verification failed for digest ${ref}: the registry sent content with digest ${digest}`);
    }
    const ct = headerOf(res, 'content-type')?.split(';')[0]?.trim() ?? '';
    const mediaType = isManifestMediaType(ct) || isIndexMediaType(ct) ? ct : mediaTypeInside(bytes);
    return { descriptor: { mediaType, digest, size: bytes.length }, bytes };
  }

  /** Every tag of a repository (GET /v2/<name>/tags/list, following Link pagination). */
  listTags(repo: RemoteRepo, creds?: Credentials, signal?: AbortSignal): Promise<string[]> {
    return this.#firstOf(repo, async (ep) => {
      const tags: string[] = [];
      let path: string | undefined = `/v2/${repo.path}/tags/list`;
      for (let page = 0; path && page < 1000; page++) {
        const res = await this.client.request(ep, { method: 'GET', path, scopes: [`repository:${repo.path}:pull`], ...(signal ? { signal } : {}) }, creds);
        const text = (await readSmall(res.body)).toString('utf8');
        if (res.status >= 400) throw registryError(res.status, text, `${ep.origin}${path}`);
        tags.push(...((JSON.parse(text) as { tags?: string[] | null }).tags ?? []));
        const link = headerOf(res, 'link');
        path = link ? /<([^>]+)>/.exec(link)?.[1] : undefined;
      }
      return tags;
    });
  }

  /** A blob's bytes from `start` on (HTTP Range), for the content store to verify while it writes. */
  async fetchBlob(repo: RemoteRepo, desc: Descriptor, opts: { creds?: Credentials; signal?: AbortSignal } = {}): Promise<Readable> {
    return (await this.fetchBlobFrom(repo, desc, 0, opts)).body;
  }

  /**
   * The blob from byte `start` on (HTTP Range). `start` in the answer is where the body really
   * begins: 0 when the registry ignored the range and sent the whole blob.
   */
  fetchBlobFrom(repo: RemoteRepo, desc: Descriptor, start: number, opts: { creds?: Credentials; signal?: AbortSignal } = {}): Promise<{ body: Readable; start: number }> {
    return this.#firstOf(repo, async (ep) => {
      const headers: Record<string, string> = {};
      if (start > 0) headers['range'] = `bytes=${start}-`;
      const res = await this.client.request(
        ep,
        { method: 'GET', path: `/v2/${repo.path}/blobs/${desc.digest}`, headers, scopes: [`repository:${repo.path}:pull`], ...(opts.signal ? { signal: opts.signal } : {}) },
        opts.creds,
      );
      if (res.status === 200) return { body: res.body, start: 0 };
      if (res.status === 206 && start > 0) return { body: res.body, start };
      const text = (await readSmall(res.body).catch(() => Buffer.alloc(0))).toString('utf8');
      throw registryError(res.status, text, `${ep.origin}/v2/${repo.path}/blobs/${desc.digest}`);
    });
  }

  /** Whether the registry already holds a blob in this repository (HEAD). */
  async hasBlob(repo: RemoteRepo, digest: Digest, creds?: Credentials, signal?: AbortSignal): Promise<boolean> {
    const ep = this.hosts.pushEndpoint(repo.domain);
    const res = await this.client.request(ep, { method: 'HEAD', path: `/v2/${repo.path}/blobs/${digest}`, scopes: [`repository:${repo.path}:pull,push`], ...(signal ? { signal } : {}) }, creds);
    discard(res.body);
    if (res.status === 200) return true;
    if (res.status === 404) return false;
    throw registryError(res.status, '', `${ep.origin}/v2/${repo.path}/blobs/${digest}`);
  }

  /**
   * Uploads a blob: a cross-repository mount when `mountFrom` names a repository of the same registry
   * that has it, else one PUT or PATCH chunks as the upload policy and the registry allow. Returns how
   * it got there.
   */
  pushBlob(repo: RemoteRepo, desc: Descriptor, open: OpenRange, opts: UploadOptions = {}): Promise<'mounted' | 'uploaded'> {
    return new BlobUpload(this.client, this.hosts.pushEndpoint(repo.domain), repo.path, desc, open, this.uploadPolicy, opts).run();
  }

  /** Puts a manifest under a tag (or its digest); returns the digest the registry reports. */
  async putManifest(repo: RemoteRepo, ref: string, bytes: Buffer, mediaType: string, creds?: Credentials, signal?: AbortSignal): Promise<Digest> {
    const ep = this.hosts.pushEndpoint(repo.domain);
    const res = await this.client.request(
      ep,
      { method: 'PUT', path: `/v2/${repo.path}/manifests/${ref}`, headers: { 'content-type': mediaType }, body: bytes, scopes: [`repository:${repo.path}:pull,push`], ...(signal ? { signal } : {}) },
      creds,
    );
    const text = (await readSmall(res.body)).toString('utf8');
    if (res.status !== 201 && res.status !== 200) throw registryError(res.status, text, `${ep.origin}/v2/${repo.path}/manifests/${ref}`);
    return sha256(bytes);
  }

  /** Repositories of `domain` matching `term` (Docker Hub's index search, else the registry's catalog). */
  search(domain: string, term: string, limit: number, opts: { creds?: Credentials; signal?: AbortSignal } = {}): Promise<SearchHit[]> {
    const ep = domain === DOCKER_HUB ? DOCKER_HUB_INDEX : this.hosts.pushEndpoint(domain);
    return searchRegistry(this.client, ep, domain, term, limit, opts);
  }

  /** `POST /auth`: checks credentials against the registry's /v2/. */
  async login(domain: string, creds: Credentials, signal?: AbortSignal): Promise<void> {
    await this.client.ping(this.hosts.pushEndpoint(domain), creds, signal);
  }
}

/** A manifest served without a useful Content-Type: its own mediaType field, else OCI by shape. */
function mediaTypeInside(bytes: Buffer): string {
  try {
    const v = JSON.parse(bytes.toString('utf8')) as { mediaType?: unknown; manifests?: unknown };
    if (typeof v.mediaType === 'string') return v.mediaType;
    return Array.isArray(v.manifests) ? MediaType.ociIndex : MediaType.ociManifest;
  } catch {
    return MediaType.ociManifest;
  }
}
