import { Transform } from 'node:stream';
import { InvalidArgument, NotFound } from '../../errdefs/index.js';
import type { RemoteRepo, ResolvedManifest } from '../../core/remotes/index.js';
import {
  familiarName,
  formatPlatform,
  hostPlatform,
  isIndexMediaType,
  parseImageConfig,
  parseIndex,
  parseManifest,
  parseReference,
  platformMatches,
  repositoryName,
  familiarString,
  type Descriptor,
  type Platform,
} from '../../oci/index.js';
import type { Digest } from '../../util/index.js';
import { eachLimited, shortId, type ProgressSink, type RemoteImageDeps, type RemoteOptions } from './remote-deps.js';
import type { StoredImage } from './ports.js';

export interface PreparedPull {
  /** The reference as Docker prints it (busybox:latest). */
  familiar: string;
  run(progress: ProgressSink): Promise<{ id: Digest; digest: Digest }>;
}

const PROGRESS_EVERY_MS = 200;

/** Parses `linux/arm64/v8`; InvalidArgument when malformed. */
export function parsePlatform(s: string): Platform {
  const [os, architecture, variant] = s.split('/');
  if (!os || !architecture) throw new InvalidArgument(`invalid platform ${JSON.stringify(s)}: expected os/arch[/variant]`);
  return { os, architecture: architecture === 'x86_64' ? 'amd64' : architecture === 'aarch64' ? 'arm64' : architecture, ...(variant ? { variant } : {}) };
}

function isForeign(d: Descriptor): boolean {
  return /nondistributable|foreign/.test(d.mediaType) || (d.urls?.length ?? 0) > 0;
}

/**
 * Pull: resolve (a missing tag fails before any progress is sent), choose the platform out of an
 * index, fetch config and layers several at once into the content store (each verified against its
 * digest before it is committed; layers already stored are not fetched), unpack, record, tag.
 */
export class ImagePuller {
  /** Downloads in flight by digest: two pulls sharing a layer fetch it once. */
  readonly #inflight = new Map<Digest, Promise<void>>();

  constructor(readonly deps: RemoteImageDeps) {}

  async prepare(refStr: string, opts: RemoteOptions & { platform?: string } = {}): Promise<PreparedPull> {
    const ref = parseReference(refStr, { defaultTag: true });
    const repo: RemoteRepo = { domain: ref.domain, path: ref.path };
    const want = opts.platform ? parsePlatform(opts.platform) : hostPlatform();
    const top = await this.deps.remote.resolve(repo, ref.digest ?? (ref.tag as string), opts.creds, opts.signal);
    const familiar = familiarString(ref);
    return {
      familiar,
      run: (progress) => this.#run(repo, ref.tag, top, want, familiar, progress, opts),
    };
  }

  async #run(
    repo: RemoteRepo,
    tag: string | undefined,
    top: ResolvedManifest,
    want: Platform,
    familiar: string,
    progress: ProgressSink,
    opts: RemoteOptions,
  ): Promise<{ id: Digest; digest: Digest }> {
    const { blobs, records } = this.deps.images.deps;
    const sig = opts.signal ? { signal: opts.signal } : {};
    progress({ id: tag ?? top.descriptor.digest, status: `Pulling from ${repo.path}` });
    let manifest = top;
    if (isIndexMediaType(top.descriptor.mediaType) || sniffIndex(top.bytes)) {
      const index = parseIndex(top.bytes);
      const chosen = index.manifests.find((m) => m.platform && platformMatches(want, m.platform));
      if (!chosen) {
        const have = index.manifests.filter((m) => m.platform && m.platform.architecture !== 'unknown').map((m) => formatPlatform(m.platform as Platform));
        throw new NotFound(`no matching manifest for ${formatPlatform(want)} in the manifest list entries (available: ${have.join(', ') || 'none'})`);
      }
      manifest = await this.deps.remote.fetchManifest(repo, chosen.digest, opts.creds, opts.signal);
    }
    const m = parseManifest(manifest.bytes);
    const foreign = m.layers.find(isForeign);
    if (foreign) throw new InvalidArgument(`layer ${foreign.digest} is a foreign (non-distributable) layer (${foreign.mediaType}): berth does not fetch it`);

    await this.#fetch(repo, m.config, opts);
    const cfgBytes = await blobs.readAll(m.config.digest, 8 << 20);
    const cfg = parseImageConfig(cfgBytes);
    const diffIds = cfg.rootfs.diff_ids;
    if (diffIds.length !== m.layers.length) {
      throw new InvalidArgument(`image ${m.config.digest} has ${m.layers.length} layers but its config lists ${diffIds.length} diff IDs`);
    }

    for (const l of m.layers) progress({ id: shortId(l.digest), status: 'Pulling fs layer' });
    const fetched = new Set<Digest>();
    await eachLimited(m.layers, this.deps.concurrency ?? 4, async (l) => {
      const id = shortId(l.digest);
      if (await blobs.info(l.digest)) {
        progress({ id, status: 'Already exists' });
        return;
      }
      await this.#fetch(repo, l, opts, (current) => progress({ id, status: 'Downloading', current, total: l.size }));
      fetched.add(l.digest);
      progress({ id, status: 'Verifying Checksum' });
      progress({ id, status: 'Download complete' });
    });

    const existing = records.get(m.config.digest);
    const rec: StoredImage = {
      id: m.config.digest,
      configDigest: m.config.digest,
      manifestDigest: manifest.descriptor.digest,
      layers: m.layers.map((l, i) => ({ digest: l.digest, diffId: diffIds[i] as Digest, size: l.size, mediaType: l.mediaType })),
      created: cfg.created ?? new Date(0).toISOString(),
      size: m.layers.reduce((n, l) => n + l.size, 0),
    };
    const shown = m.layers.filter((l) => fetched.has(l.digest));
    for (const l of shown) progress({ id: shortId(l.digest), status: 'Extracting' });
    await this.deps.images.unpack(rec, opts.signal);
    for (const l of shown) progress({ id: shortId(l.digest), status: 'Pull complete' });
    await blobs.write(manifest.bytes, { digest: manifest.descriptor.digest, size: manifest.bytes.length }, sig);
    const name = repositoryName({ domain: repo.domain, path: repo.path });
    const upToDate = existing !== undefined && (tag === undefined || records.byTag(`${name}:${tag}`)?.id === rec.id);
    records.put(existing ? { ...rec, ...existing } : rec, tag !== undefined ? [`${name}:${tag}`] : []);
    this.deps.addRepoDigest(rec.id, `${name}@${top.descriptor.digest}`);
    progress({ status: `Digest: ${top.descriptor.digest}` });
    const named = tag !== undefined ? `${familiarName({ domain: repo.domain, path: repo.path })}:${tag}` : familiar;
    progress({ status: upToDate ? `Status: Image is up to date for ${named}` : `Status: Downloaded newer image for ${named}` });
    return { id: rec.id, digest: top.descriptor.digest };
  }

  /** Fetches one blob into the content store (verified there), sharing a download already running. */
  #fetch(repo: RemoteRepo, desc: Descriptor, opts: RemoteOptions, onBytes?: (n: number) => void): Promise<void> {
    const running = this.#inflight.get(desc.digest);
    if (running) return running;
    const job = (async () => {
      const { blobs } = this.deps.images.deps;
      if (await blobs.info(desc.digest)) return;
      // One ingest ref per blob: what an interrupted pull (or a killed berthd) wrote is continued with HTTP Range.
      const ref = `pull-${desc.digest.slice('sha256:'.length)}`;
      const have = await blobs.partialSize(ref);
      const { body, start } = await this.deps.remote.fetchBlobFrom(repo, desc, have < desc.size ? have : 0, { ...(opts.creds ? { creds: opts.creds } : {}), ...(opts.signal ? { signal: opts.signal } : {}) });
      let n = start;
      let last = 0;
      const counter = new Transform({
        transform(chunk: Buffer, _enc, cb) {
          n += chunk.length;
          const now = Date.now();
          if (onBytes && now - last >= PROGRESS_EVERY_MS) {
            last = now;
            onBytes(n);
          }
          cb(null, chunk);
        },
      });
      body.on('error', (e) => counter.destroy(e));
      counter.on('error', () => body.destroy());
      body.pipe(counter);
      try {
        await blobs.write(counter, { digest: desc.digest, size: desc.size }, { ref, resume: start > 0, keepPartial: true, ...(opts.signal ? { signal: opts.signal } : {}) });
      } catch (e) {
        body.on('error', () => undefined);
        body.destroy();
        if (e instanceof InvalidArgument) throw new InvalidArgument(`failed to pull blob ${desc.digest} from ${repo.domain}/${repo.path}: ${e.message}`, { cause: e });
        throw e;
      }
      onBytes?.(desc.size);
    })().finally(() => this.#inflight.delete(desc.digest));
    this.#inflight.set(desc.digest, job);
    return job;
  }
}

function sniffIndex(bytes: Buffer): boolean {
  try {
    return Array.isArray((JSON.parse(bytes.toString('utf8')) as { manifests?: unknown }).manifests);
  } catch {
    return false;
  }
}
