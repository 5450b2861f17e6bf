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
import { LayerPuller } from './pull-layers.js';
import { PULL_LEASE_TTL_MS, type OperationLease } from './lease.js';
import { chainIds } from '../../core/images/index.js';
import type { ProgressSink, RemoteImageDeps, RemoteOptions } from './remote-deps.js';
import type { StoredImage } from './ports.js';

export interface PreparedPull {
  /** The reference as Docker prints it (busybox:latest). */
  familiar: string;
  run(progress: ProgressSink): Promise<{ id: Digest; digest: Digest }>;
}

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
 * index, fetch the config, then the layers (LayerPuller: fetched and unpacked in one pass, several
 * at once; layers already stored are not fetched), record, tag.
 */
export class ImagePuller {
  readonly #layers: LayerPuller;

  constructor(readonly deps: RemoteImageDeps) {
    this.#layers = new LayerPuller(deps);
  }

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
    progress({ id: tag ?? top.descriptor.digest, status: `Pulling from ${repo.path}`, message: true });
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
    // Named before anything is looked up: an rmi racing this pull cannot take a blob or layer it counts on.
    // A pull cut short keeps its lease (a day): what it stored waits for the retry to resume.
    const lease = this.deps.images.lease(PULL_LEASE_TTL_MS);
    for (const d of [manifest.descriptor.digest, m.config.digest, ...m.layers.map((l) => l.digest)]) lease.blob(d);
    const result = await this.#fetch(repo, tag, top, manifest, m, familiar, progress, opts, lease);
    await lease.end(true);
    return result;
  }

  async #fetch(
    repo: RemoteRepo,
    tag: string | undefined,
    top: ResolvedManifest,
    manifest: ResolvedManifest,
    m: ReturnType<typeof parseManifest>,
    familiar: string,
    progress: ProgressSink,
    opts: RemoteOptions,
    lease: OperationLease,
  ): Promise<{ id: Digest; digest: Digest }> {
    const { blobs, records } = this.deps.images.deps;
    const sig = opts.signal ? { signal: opts.signal } : {};
    const missing = (await Promise.all(m.layers.map((l) => blobs.info(l.digest)))).filter((b) => b === null).length;
    if (missing > 0) this.deps.transfers.warm(missing);
    await this.#layers.fetchBlob(repo, m.config, opts);
    const cfgBytes = await blobs.readAll(m.config.digest, 8 << 20);
    const cfg = parseImageConfig(cfgBytes);
    const diffIds = cfg.rootfs.diff_ids;
    if (diffIds.length !== m.layers.length) {
      throw new InvalidArgument(`image ${m.config.digest} has ${m.layers.length} layers but its config lists ${diffIds.length} diff IDs`);
    }
    for (const c of chainIds(diffIds)) lease.layer(c);

    await this.#layers.pullLayers(repo, m.layers, diffIds, progress, opts);

    const existing = records.get(m.config.digest);
    const rec: StoredImage = {
      id: m.config.digest,
      configDigest: m.config.digest,
      manifestDigest: manifest.descriptor.digest,
      layers: m.layers.map((l, i) => ({ digest: l.digest, diffId: diffIds[i] as Digest, size: l.size, mediaType: l.mediaType })),
      created: cfg.created ?? new Date(0).toISOString(),
      size: m.layers.reduce((n, l) => n + l.size, 0),
    };
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
}

function sniffIndex(bytes: Buffer): boolean {
  try {
    return Array.isArray((JSON.parse(bytes.toString('utf8')) as { manifests?: unknown }).manifests);
  } catch {
    return false;
  }
}
