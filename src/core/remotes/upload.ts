import { Transform, pipeline, type Readable } from 'node:stream';
import { Unavailable } from '../../errdefs/index.js';
import type { Descriptor } from '../../oci/index.js';
import type { Credentials } from './auth.js';
import { discard, headerOf, readSmall, registryError, type RegistryClient, type RegistryResponse } from './client.js';
import type { RegistryEndpoint } from './hosts.js';

/** How blobs go up: one PUT below `threshold`, PATCH chunks of `chunkSize` from there on. */
export interface UploadPolicy {
  /** Blobs of at least this many bytes are sent in chunks; 0 or Infinity: always one request. */
  threshold: number;
  chunkSize: number;
  /** Connection failures one blob may survive by asking the registry where its session stands. */
  resumes: number;
}

/**
 * Chunks cost time: measured with bench/push (2 x 150 MB, local registries), one PUT took 5.2 s to
 * distribution and 5.9 s to berth's registry, 64 MiB chunks 6.8 s and 7.0 s, 8-32 MiB chunks 40-65%
 * more than one PUT. So only blobs big enough that resuming beats the overhead go in chunks, and
 * large ones.
 */
export const DEFAULT_UPLOAD_POLICY: UploadPolicy = { threshold: 512 << 20, chunkSize: 128 << 20, resumes: 3 };

/** The blob's bytes [start, end) (end exclusive), opened fresh for every attempt. */
export type OpenRange = (start: number, end: number) => Readable;

export interface UploadOptions {
  creds?: Credentials;
  /** A repository of the same registry to mount the blob from. */
  mountFrom?: string;
  signal?: AbortSignal;
  /** Bytes of this blob sent so far (it can go back after a resume). */
  onProgress?: (sent: number) => void;
}

interface Session {
  location: URL;
  /** OCI-Chunk-Min-Length: the registry's smallest acceptable chunk except the last. */
  minChunk: number;
}

/** Registries that refuse chunked uploads answer the first PATCH with one of these. */
const PATCH_REFUSED = new Set([400, 404, 405, 415, 501]);

/**
 * One blob upload over the OCI distribution protocol: POST (optionally mounting from another
 * repository), then either a monolithic PUT ?digest= or PATCH chunks with Content-Range followed by
 * an empty PUT ?digest=. A chunk cut by a connection reset or a 5xx is resumed where the registry
 * says its session stands (GET on the upload URL → Range); a session the registry lost starts over.
 */
export class BlobUpload {
  readonly #scopes: string[];

  constructor(
    private readonly client: RegistryClient,
    private readonly ep: RegistryEndpoint,
    private readonly repoPath: string,
    private readonly desc: Descriptor,
    private readonly open: OpenRange,
    private readonly policy: UploadPolicy,
    private readonly opts: UploadOptions,
  ) {
    this.#scopes = [`repository:${repoPath}:pull,push`, ...(opts.mountFrom ? [`repository:${opts.mountFrom}:pull`] : [])];
  }

  async run(): Promise<'mounted' | 'uploaded'> {
    const first = await this.#start(this.opts.mountFrom);
    if (first === 'mounted') return 'mounted';
    const { threshold, chunkSize } = this.policy;
    const chunked = threshold > 0 && this.desc.size >= threshold && chunkSize > 0;
    if (!chunked) return this.#monolithic(first);
    const s = await this.#chunked(first);
    if (s === 'refused') return this.#monolithic(await this.#fresh());
    await this.#close(s, undefined, 0);
    return 'uploaded';
  }

  get #sig(): { signal?: AbortSignal } {
    return this.opts.signal ? { signal: this.opts.signal } : {};
  }

  #where(): string {
    return `${this.ep.origin}/v2/${this.repoPath}/blobs/uploads/`;
  }

  async #start(mountFrom: string | undefined): Promise<Session | 'mounted'> {
    const query = mountFrom ? `?mount=${this.desc.digest}&from=${encodeURIComponent(mountFrom)}` : '';
    const res = await this.client.request(this.ep, { method: 'POST', path: `/v2/${this.repoPath}/blobs/uploads/${query}`, headers: { 'content-length': '0' }, scopes: this.#scopes, ...this.#sig }, this.opts.creds);
    const text = (await readSmall(res.body)).toString('utf8');
    if (res.status === 201 && mountFrom) return 'mounted';
    if (res.status !== 202) throw registryError(res.status, text, this.#where());
    return { location: this.#locationOf(res, res.url), minChunk: Number(headerOf(res, 'oci-chunk-min-length')) || 0 };
  }

  async #fresh(): Promise<Session> {
    const s = await this.#start(undefined);
    if (s === 'mounted') throw registryError(201, 'the registry answered an upload with a mount', this.#where());
    return s;
  }

  #locationOf(res: RegistryResponse, base: string): URL {
    const location = headerOf(res, 'location');
    if (!location) throw registryError(res.status, 'the registry gave no upload location', this.#where());
    return new URL(location, base);
  }

  /** The body with progress reported as it is read (offset: bytes already confirmed before it). */
  #body(start: number, end: number): Readable {
    const src = this.open(start, end);
    const onProgress = this.opts.onProgress;
    if (!onProgress) return src;
    let sent = start;
    const counter = new Transform({
      transform(chunk: Buffer, _enc, cb) {
        sent += chunk.length;
        onProgress(sent);
        cb(null, chunk);
      },
    });
    // pipeline, not pipe: a request that fails destroys the counter, and the file is closed with it.
    pipeline(src, counter, () => undefined);
    return counter;
  }

  async #monolithic(s: Session): Promise<'uploaded'> {
    await this.#close(s, this.desc.size > 0 ? [0, this.desc.size] : undefined, this.desc.size);
    return 'uploaded';
  }

  /** PUT ?digest=, carrying bytes [a, b) as the last (or only) chunk when given. */
  async #close(s: Session, range: [number, number] | undefined, length: number): Promise<void> {
    const url = new URL(s.location);
    url.searchParams.set('digest', this.desc.digest);
    const res = await this.client.request(
      this.ep,
      {
        method: 'PUT',
        path: url.toString(),
        headers: { 'content-type': 'application/octet-stream', 'content-length': String(length) },
        ...(range ? { body: this.#body(range[0], range[1]) } : {}),
        scopes: this.#scopes,
        ...this.#sig,
      },
      this.opts.creds,
    );
    const text = (await readSmall(res.body)).toString('utf8');
    if (res.status !== 201 && res.status !== 204) throw registryError(res.status, text, this.#where());
  }

  /** Sends every byte in PATCH chunks; 'refused' when the registry does not take chunks at all. */
  async #chunked(start: Session): Promise<Session | 'refused'> {
    let s = start;
    let offset = 0;
    let resumes = 0;
    const size = this.desc.size;
    while (offset < size) {
      const len = Math.min(size - offset, Math.max(this.policy.chunkSize, s.minChunk));
      let res: RegistryResponse;
      try {
        res = await this.client.request(
          this.ep,
          {
            method: 'PATCH',
            path: s.location.toString(),
            headers: { 'content-type': 'application/octet-stream', 'content-length': String(len), 'content-range': `${offset}-${offset + len - 1}` },
            body: this.#body(offset, offset + len),
            scopes: this.#scopes,
            ...this.#sig,
          },
          this.opts.creds,
        );
      } catch (e) {
        if (!(e instanceof Unavailable) || this.opts.signal?.aborted || ++resumes > this.policy.resumes) throw e;
        ({ s, offset } = await this.#resume(s));
        continue;
      }
      if (res.status === 202) {
        discard(res.body);
        s = { location: this.#locationOf(res, res.url), minChunk: Number(headerOf(res, 'oci-chunk-min-length')) || s.minChunk };
        const confirmed = rangeEnd(headerOf(res, 'range'));
        offset = confirmed === undefined ? offset + len : confirmed + 1;
        continue;
      }
      const text = (await readSmall(res.body).catch(() => Buffer.alloc(0))).toString('utf8');
      if (offset === 0 && PATCH_REFUSED.has(res.status)) {
        await this.#cancel(s);
        return 'refused';
      }
      // 416: our idea of the offset is wrong; 5xx: the registry stumbled. Ask where the session is.
      if ((res.status === 416 || res.status >= 500) && ++resumes <= this.policy.resumes) {
        ({ s, offset } = await this.#resume(s));
        continue;
      }
      throw registryError(res.status, text, this.#where());
    }
    return s;
  }

  /** GET on the upload URL: 204 with Range 0-N means N+1 bytes are safe; anything else starts over. */
  async #resume(s: Session): Promise<{ s: Session; offset: number }> {
    try {
      const res = await this.client.request(this.ep, { method: 'GET', path: s.location.toString(), scopes: this.#scopes, ...this.#sig }, this.opts.creds);
      discard(res.body);
      if (res.status === 204) {
        const end = rangeEnd(headerOf(res, 'range'));
        const offset = end === undefined || end === 0 ? 0 : end + 1;
        const loc = headerOf(res, 'location') ? this.#locationOf(res, res.url) : s.location;
        this.opts.onProgress?.(offset);
        return { s: { location: loc, minChunk: s.minChunk }, offset };
      }
    } catch (e) {
      if (this.opts.signal?.aborted || !(e instanceof Unavailable)) throw e;
    }
    await this.#cancel(s);
    this.opts.onProgress?.(0);
    return { s: await this.#fresh(), offset: 0 };
  }

  /** DELETE on the upload URL, so the registry can drop the session now (best effort). */
  async #cancel(s: Session): Promise<void> {
    try {
      const res = await this.client.request(this.ep, { method: 'DELETE', path: s.location.toString(), scopes: this.#scopes, ...this.#sig }, this.opts.creds);
      discard(res.body);
    } catch {
      // The session expires on the registry's side anyway.
    }
  }
}

/** `0-N` (also `bytes=0-N`) → N. */
function rangeEnd(h: string | undefined): number | undefined {
  const m = h ? /(\d+)-(\d+)\s*$/.exec(h) : null;
  return m ? Number(m[2]) : undefined;
}
