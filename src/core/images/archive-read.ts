import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import type { ContentStore } from '../content/index.js';
import { InvalidArgument, NotFound, NotImplemented } from '../../errdefs/index.js';
import {
  Annotations,
  formatReference,
  hostPlatform,
  isIndexMediaType,
  ociLayerMediaType,
  parseImageConfig,
  parseIndex,
  parseManifest,
  parseReference,
  platformMatches,
  sniffManifestKind,
  type Descriptor,
  type ImageConfig,
  type ImageManifest,
} from '../../oci/index.js';
import { isDigest, type Digest } from '../../util/index.js';
import { readTar } from '../../util/tar/index.js';
import { autoDecompress } from './compression.js';
import { blobCompression, layerDiffId } from './layers.js';

export interface LoadedLayer {
  /** Digest of the stored blob (computed on the bytes, whatever the archive called it). */
  digest: Digest;
  mediaType: string;
  /** Size of the stored blob. */
  size: number;
  /** Verified against the config's rootfs.diff_ids. */
  diffId: Digest;
  /** Set when diff IDs were verified. */
  uncompressedSize?: number;
}

export interface LoadedImage {
  configDigest: Digest;
  config: ImageConfig;
  layers: LoadedLayer[];
  manifestDigest?: Digest;
  manifestMediaType?: string;
  /** Full references (docker.io/library/busybox:latest), as named by the archive. */
  repoTags: string[];
}

export interface ReadArchiveOptions {
  signal?: AbortSignal;
  /** Decompress and hash every layer to check its diff ID (default true). */
  verifyDiffIds?: boolean;
  /** Told each blob's digest as it is stored (a lease names it). */
  onCommit?: (digest: Digest) => void;
}

const METADATA = new Set(['manifest.json', 'repositories', 'index.json', 'oci-layout']);
const MAX_METADATA = 32 << 20;
const BLOB_RE = /^blobs\/sha256\/([a-f0-9]{64})$/;
const LEGACY_CONFIG_RE = /^([a-f0-9]{64})\.json$/;
const LEGACY_SKIP_RE = /^[a-f0-9]{64}\/(json|VERSION)$/;

interface DockerManifestEntry {
  Config: string;
  RepoTags?: string[] | null;
  Layers: string[];
}

interface Stored {
  digest: Digest;
  size: number;
}

async function readSmall(body: Readable, name: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  let n = 0;
  for await (const c of body as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > MAX_METADATA) throw new InvalidArgument(`invalid archive: ${name} is too large`);
    parts.push(c);
  }
  return Buffer.concat(parts);
}

function parseJson<T>(b: Buffer, name: string): T {
  try {
    return JSON.parse(b.toString('utf8')) as T;
  } catch (e) {
    throw new InvalidArgument(`invalid archive: ${name} is not valid JSON`, { cause: e });
  }
}

/** Paths of the archive's files, following its symlinks and hardlinks (legacy `docker save` dedups layers with them). */
class ArchiveFiles {
  readonly files = new Map<string, Stored>();
  readonly links = new Map<string, string>();

  resolve(path: string): Stored {
    let p = posix.normalize(path).replace(/^(\.\/|\/)+/, '');
    for (let hops = 0; hops < 16; hops++) {
      const f = this.files.get(p);
      if (f) return f;
      const next = this.links.get(p);
      if (next === undefined) break;
      p = next;
    }
    throw new InvalidArgument(`invalid archive: ${path} is referenced but not in the archive`);
  }
}

function tagsFromNames(names: unknown): string[] {
  if (names === null || names === undefined) return [];
  if (!Array.isArray(names) || !names.every((n) => typeof n === 'string')) throw new InvalidArgument('invalid archive: RepoTags in manifest.json must be a list of names');
  const out: string[] = [];
  for (const n of names) {
    const r = parseReference(n, { defaultTag: true });
    if (r.digest !== undefined) continue;
    out.push(formatReference(r));
  }
  return out;
}

/** The image name an OCI index entry carries, when it carries a full one (a bare tag names nothing). */
function nameFromAnnotations(a: Record<string, string> | undefined): string[] {
  const full = a?.[Annotations.containerdImageName];
  if (full) return tagsFromNames([full]);
  const ref = a?.[Annotations.refName];
  if (ref && /[:/]/.test(ref)) {
    try {
      return tagsFromNames([ref]);
    } catch {
      return [];
    }
  }
  return [];
}

async function loadBlobJson(content: ContentStore, d: Digest, what: string): Promise<Buffer> {
  try {
    return await content.readAll(d);
  } catch (e) {
    if (e instanceof NotFound) throw new InvalidArgument(`invalid archive: ${what} ${d} is not in the archive`, { cause: e });
    throw e;
  }
}

/** Picks the manifest for this host from an index (recursively), as `docker load` does for one platform. */
async function chooseManifest(content: ContentStore, desc: Descriptor, depth = 0): Promise<Descriptor> {
  if (depth > 4) throw new InvalidArgument('invalid archive: image indexes nested too deeply');
  const bytes = await loadBlobJson(content, desc.digest, 'manifest');
  const kind = isIndexMediaType(desc.mediaType) ? 'index' : sniffManifestKind(bytes);
  if (kind !== 'index') return desc;
  const idx = parseIndex(bytes);
  const want = hostPlatform();
  // Archives saved for one platform keep the whole index but only that platform's blobs.
  const candidates: Descriptor[] = [];
  for (const m of idx.manifests) {
    if (m.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest') continue;
    if (await content.info(m.digest)) candidates.push(m);
  }
  const pick = candidates.find((m) => m.platform && platformMatches(want, m.platform)) ?? (candidates.length === 1 ? candidates[0] : undefined);
  if (!pick) throw new NotFound(`no image for platform ${want.os}/${want.architecture} in the archive's index ${desc.digest}`);
  return chooseManifest(content, pick, depth + 1);
}

/**
 * Reads a `docker save` archive (legacy, or Docker 25+ with an OCI layout inside) or an OCI image
 * layout archive, plain or compressed, streaming: every file is stored in `content` as it passes
 * (verified when its name carries its digest), and the manifests are resolved at the end. Either
 * every image is verified (configs, layer presence, diff IDs) and returned, or it throws; records are
 * the caller's job. Blobs already stored stay (they are verified; garbage collection owns them).
 */
export async function readImageArchive(source: Readable, content: ContentStore, opts: ReadArchiveOptions = {}): Promise<LoadedImage[]> {
  const { signal } = opts;
  const meta = new Map<string, Buffer>();
  const files = new ArchiveFiles();
  const { stream } = await autoDecompress(source, signal);
  for await (const { header, body } of readTar(stream, signal ? { signal } : {})) {
    const name = header.name;
    if (header.type === 'symlink' && header.linkname !== undefined) {
      files.links.set(name, posix.normalize(posix.join(posix.dirname(name), header.linkname)).replace(/^\/+/, ''));
      continue;
    }
    if (header.type === 'hardlink' && header.linkname !== undefined) {
      files.links.set(name, header.linkname);
      continue;
    }
    if (header.type !== 'file') continue;
    if (METADATA.has(name)) {
      meta.set(name, await readSmall(body, name));
      continue;
    }
    if (LEGACY_SKIP_RE.test(name)) continue;
    const hex = BLOB_RE.exec(name)?.[1] ?? LEGACY_CONFIG_RE.exec(name)?.[1];
    const digest: Digest | undefined = hex !== undefined ? `sha256:${hex}` : undefined;
    const expected = digest !== undefined ? { digest, size: header.size } : { size: header.size };
    try {
      files.files.set(name, await content.write(body, expected, { ...(signal ? { signal } : {}), ...(opts.onCommit ? { onCommit: opts.onCommit } : {}) }));
    } catch (e) {
      if (e instanceof InvalidArgument) throw new InvalidArgument(`invalid archive: ${name}: ${e.message}`, { cause: e });
      throw e;
    }
  }

  let images: LoadedImage[];
  const manifestJson = meta.get('manifest.json');
  const indexJson = meta.get('index.json');
  if (manifestJson) images = await fromDockerManifest(manifestJson, indexJson, files, content);
  else if (indexJson) images = await fromOciLayout(indexJson, meta.get('oci-layout'), content);
  else if (meta.has('repositories')) throw new NotImplemented('loading pre-Docker-1.10 archives (no manifest.json) is not supported');
  else throw new InvalidArgument('invalid archive: it has neither manifest.json nor index.json');

  if (opts.verifyDiffIds ?? true) await verifyLayers(images, content, signal);
  return images;
}

async function fromDockerManifest(bytes: Buffer, indexJson: Buffer | undefined, files: ArchiveFiles, content: ContentStore): Promise<LoadedImage[]> {
  const entries = parseJson<DockerManifestEntry[]>(bytes, 'manifest.json');
  if (!Array.isArray(entries)) throw new InvalidArgument('invalid archive: manifest.json is not a list');
  // Docker 25+ archives also hold the OCI manifests: use them for media types and manifest digests.
  const byConfig = new Map<Digest, { desc: Descriptor; manifest: ImageManifest }>();
  if (indexJson) {
    for (const desc of parseIndex(indexJson).manifests) {
      try {
        const mdesc = await chooseManifest(content, desc);
        const manifest = parseManifest(await content.readAll(mdesc.digest));
        byConfig.set(manifest.config.digest, { desc: mdesc, manifest });
      } catch {
        /* manifest.json is authoritative; the index only adds detail */
      }
    }
  }
  const out: LoadedImage[] = [];
  for (const e of entries) {
    if (typeof e?.Config !== 'string' || !Array.isArray(e.Layers) || !e.Layers.every((l) => typeof l === 'string')) {
      throw new InvalidArgument('invalid archive: bad entry in manifest.json');
    }
    const cfg = files.resolve(e.Config);
    const config = parseImageConfig(await loadBlobJson(content, cfg.digest, 'config'));
    const oci = byConfig.get(cfg.digest);
    const layers = await Promise.all(
      e.Layers.map(async (p, i) => {
        const f = files.resolve(p);
        const described = oci?.manifest.layers.find((l) => l.digest === f.digest);
        const mediaType = described?.mediaType ?? ociLayerMediaType(toLayerCompression(await blobCompression(content, f.digest)));
        return { digest: f.digest, size: f.size, mediaType, diffId: config.rootfs.diff_ids[i] as Digest };
      }),
    );
    const img: LoadedImage = { configDigest: cfg.digest, config, layers, repoTags: tagsFromNames(e.RepoTags) };
    if (oci) {
      img.manifestDigest = oci.desc.digest;
      img.manifestMediaType = oci.manifest.mediaType ?? oci.desc.mediaType;
    }
    checkLayerCount(img);
    out.push(img);
  }
  return out;
}

function toLayerCompression(c: string): 'none' | 'gzip' | 'zstd' {
  if (c === 'gzip' || c === 'zstd') return c;
  if (c === 'none') return 'none';
  throw new InvalidArgument(`layers compressed with ${c} are not supported`);
}

async function fromOciLayout(indexJson: Buffer, layoutJson: Buffer | undefined, content: ContentStore): Promise<LoadedImage[]> {
  if (!layoutJson) throw new InvalidArgument('invalid archive: index.json without oci-layout');
  const layout = parseJson<{ imageLayoutVersion?: unknown }>(layoutJson, 'oci-layout');
  if (typeof layout.imageLayoutVersion !== 'string' || !layout.imageLayoutVersion.startsWith('1.')) {
    throw new InvalidArgument(`unsupported OCI image layout version ${JSON.stringify(layout.imageLayoutVersion)}`);
  }
  const byManifest = new Map<Digest, LoadedImage>();
  for (const desc of parseIndex(indexJson).manifests) {
    const mdesc = await chooseManifest(content, desc);
    const tags = nameFromAnnotations(desc.annotations);
    const seen = byManifest.get(mdesc.digest);
    if (seen) {
      for (const t of tags) if (!seen.repoTags.includes(t)) seen.repoTags.push(t);
      continue;
    }
    const manifest = parseManifest(await loadBlobJson(content, mdesc.digest, 'manifest'));
    const config = parseImageConfig(await loadBlobJson(content, manifest.config.digest, 'config'));
    const layers: LoadedLayer[] = [];
    for (const [i, l] of manifest.layers.entries()) {
      const info = await content.info(l.digest);
      if (!info) throw new InvalidArgument(`invalid archive: layer ${l.digest} is not in the archive`);
      if (info.size !== l.size) throw new InvalidArgument(`invalid archive: layer ${l.digest} has size ${info.size}, the manifest says ${l.size}`);
      layers.push({ digest: l.digest, size: l.size, mediaType: l.mediaType, diffId: config.rootfs.diff_ids[i] as Digest });
    }
    const img: LoadedImage = {
      configDigest: manifest.config.digest,
      config,
      layers,
      manifestDigest: mdesc.digest,
      manifestMediaType: manifest.mediaType ?? mdesc.mediaType,
      repoTags: tags,
    };
    checkLayerCount(img);
    byManifest.set(mdesc.digest, img);
  }
  return [...byManifest.values()];
}

function checkLayerCount(img: LoadedImage): void {
  if (img.layers.length !== img.config.rootfs.diff_ids.length) {
    throw new InvalidArgument(
      `invalid archive: image ${img.configDigest} has ${img.layers.length} layers but its config lists ${img.config.rootfs.diff_ids.length} diff IDs`,
    );
  }
}

async function verifyLayers(images: LoadedImage[], content: ContentStore, signal?: AbortSignal): Promise<void> {
  const done = new Map<Digest, { diffId: Digest; size: number }>();
  for (const img of images) {
    for (const l of img.layers) {
      let r = done.get(l.digest);
      if (!r) {
        r = await layerDiffId(content, l.digest, signal);
        done.set(l.digest, r);
      }
      if (!isDigest(l.diffId) || r.diffId !== l.diffId) {
        throw new InvalidArgument(`invalid archive: layer ${l.digest} has diff ID ${r.diffId}, but the image config says ${l.diffId}`);
      }
      l.uncompressedSize = r.size;
    }
  }
}
