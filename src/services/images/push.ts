import { NotFound } from '../../errdefs/index.js';
import type { RemoteRepo } from '../../core/remotes/index.js';
import { MediaType, familiarName, layerCompression, parseReference, repositoryName, type Descriptor } from '../../oci/index.js';
import type { Digest } from '../../util/index.js';
import { eachSettled, shortId, type ProgressSink, type RemoteImageDeps, type RemoteOptions } from './remote-deps.js';
import type { StoredImage } from './ports.js';

export interface PreparedPush {
  run(progress: ProgressSink): Promise<{ tag: string; digest: Digest; size: number }[]>;
}

const DOCKER_LAYER: Record<string, string> = { none: MediaType.dockerLayer, gzip: MediaType.dockerLayerGzip, zstd: MediaType.dockerLayerZstd };

/** Docker's `Pushing` lines: at most one every 100 ms per layer, and the last byte always. */
function pushingProgress(id: string, total: number, progress: ProgressSink): (sent: number) => void {
  let last = 0;
  return (sent) => {
    const now = Date.now();
    if (sent < total && now - last < 100) return;
    last = now;
    progress({ id, status: 'Pushing', current: sent, total });
  };
}

/**
 * Push: for each tag, the image's blobs (skipped when the registry has them, mounted from another
 * repository of the same registry when possible, else uploaded as stored: never recompressed), then
 * its manifest: the one it was pulled with when berth still has it, else a Docker schema 2 manifest.
 */
export class ImagePusher {
  constructor(readonly deps: RemoteImageDeps) {}

  /** `tag` empty: every tag of the repository. NotFound before anything is sent when nothing matches. */
  prepare(name: string, tag: string | undefined, opts: RemoteOptions = {}): PreparedPush {
    const { records } = this.deps.images.deps;
    const ref = parseReference(tag ? `${name}:${tag}` : name);
    const repo: RemoteRepo = { domain: ref.domain, path: ref.path };
    const full = repositoryName(ref);
    let tags: string[];
    if (ref.tag !== undefined) tags = [ref.tag];
    else {
      tags = records
        .list()
        .flatMap((img) => records.tagsOf(img.id))
        .filter((t) => t.startsWith(`${full}:`))
        .map((t) => t.slice(full.length + 1));
    }
    const familiar = familiarName(ref);
    if (tags.length === 0) throw new NotFound(`An image does not exist locally with the tag: ${familiar}`);
    const images = tags.map((t) => {
      const img = records.byTag(`${full}:${t}`);
      if (!img) throw new NotFound(`An image does not exist locally with the tag: ${familiar}:${t}`);
      return { tag: t, img };
    });
    return {
      run: async (progress) => {
        progress({ status: `The push refers to repository [${full}]` });
        const out: { tag: string; digest: Digest; size: number }[] = [];
        for (const { tag: t, img } of images) out.push(await this.#pushOne(repo, t, img, progress, opts));
        return out;
      },
    };
  }

  async #pushOne(repo: RemoteRepo, tag: string, img: StoredImage, progress: ProgressSink, opts: RemoteOptions): Promise<{ tag: string; digest: Digest; size: number }> {
    const { blobs } = this.deps.images.deps;
    const { bytes, mediaType, layers, config } = await this.#manifestFor(img);
    const mountFrom = this.#mountSource(img, repo);
    const credOpts = { ...(opts.creds ? { creds: opts.creds } : {}), ...(opts.signal ? { signal: opts.signal } : {}) };
    const upload = async (d: Descriptor, id?: string): Promise<void> => {
      if (await this.deps.remote.hasBlob(repo, d.digest, opts.creds, opts.signal)) {
        if (id) progress({ id, status: 'Layer already exists' });
        return;
      }
      const how = await this.deps.remote.pushBlob(repo, d, (start, end) => blobs.read(d.digest, { start, end: end - 1, ...(opts.signal ? { signal: opts.signal } : {}) }), {
        ...credOpts,
        ...(mountFrom ? { mountFrom } : {}),
        ...(id ? { onProgress: pushingProgress(id, d.size, progress) } : {}),
      });
      if (id) progress({ id, status: how === 'mounted' && mountFrom ? `Mounted from ${mountFrom}` : 'Pushed' });
    };
    for (const l of layers) progress({ id: shortId(l.digest), status: 'Preparing' });
    // Every layer queues for an upload slot of the daemon's pool; Docker says Waiting only for the
    // layers queued behind the limit (this push's or another's).
    await eachSettled(layers, (l) => {
      const id = shortId(l.digest);
      return this.deps.transfers.upload(() => upload(l, id), { onWait: () => progress({ id, status: 'Waiting' }), ...(opts.signal ? { signal: opts.signal } : {}) });
    });
    await upload(config);
    const digest = await this.deps.remote.putManifest(repo, tag, bytes, mediaType, opts.creds, opts.signal);
    this.deps.addRepoDigest(img.id, `${repo.domain}/${repo.path}@${digest}`);
    progress({ status: `${tag}: digest: ${digest} size: ${bytes.length}` });
    // Docker sends the record apart: clients hide messages that carry aux.
    progress({ status: '', aux: { tag, digest, size: bytes.length } });
    return { tag, digest, size: bytes.length };
  }

  /** A repository on the same registry that already holds this image's blobs (from a repo digest). */
  #mountSource(img: StoredImage, repo: RemoteRepo): string | undefined {
    for (const rd of this.deps.images.deps.records.repoDigestsOf(img.id)) {
      const r = parseReference(rd);
      if (r.domain === repo.domain && r.path !== repo.path) return r.path;
    }
    return undefined;
  }

  async #manifestFor(img: StoredImage): Promise<{ bytes: Buffer; mediaType: string; layers: Descriptor[]; config: Descriptor }> {
    const { blobs } = this.deps.images.deps;
    if (img.manifestDigest && (await blobs.info(img.manifestDigest))) {
      const bytes = await blobs.readAll(img.manifestDigest, 4 << 20);
      const m = JSON.parse(bytes.toString('utf8')) as { mediaType?: string; config: Descriptor; layers: Descriptor[] };
      if (m.config?.digest === img.configDigest && Array.isArray(m.layers)) {
        return { bytes, mediaType: m.mediaType ?? MediaType.ociManifest, layers: m.layers, config: m.config };
      }
    }
    const cfgInfo = await blobs.info(img.configDigest);
    if (!cfgInfo) throw new NotFound(`content digest ${img.configDigest}: not found`);
    const config: Descriptor = { mediaType: MediaType.dockerConfig, digest: img.configDigest, size: cfgInfo.size };
    const layers: Descriptor[] = [];
    for (const l of img.layers) {
      const info = await blobs.info(l.digest);
      if (!info) throw new NotFound(`layer ${l.digest} of image ${img.id} is not in the content store`);
      layers.push({ mediaType: DOCKER_LAYER[layerCompression(l.mediaType) ?? 'none'] ?? MediaType.dockerLayer, digest: l.digest, size: info.size });
    }
    const manifest = { schemaVersion: 2, mediaType: MediaType.dockerManifest, config, layers };
    // Sent, not stored: no record would name the blob, so it would be an orphan in the store.
    const bytes = Buffer.from(JSON.stringify(manifest, null, 3));
    return { bytes, mediaType: MediaType.dockerManifest, layers, config };
  }
}
