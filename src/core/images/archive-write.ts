import type { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ContentReader } from '../content/index.js';
import type { ImageRecord } from '../metadata/index.js';
import { InvalidArgument } from '../../errdefs/index.js';
import {
  Annotations,
  MediaType,
  familiarName,
  familiarString,
  layerCompression,
  ociLayerMediaType,
  parseReference,
  type Descriptor,
  type ImageIndex,
  type ImageManifest,
} from '../../oci/index.js';
import { digestHex, sha256, type Digest } from '../../util/index.js';
import { TarWriter, type TarHeader } from '../../util/tar/index.js';

export interface ArchiveImage {
  record: ImageRecord;
  /** Full or familiar references (tags only; digest references are ignored, as docker save does). */
  repoTags: string[];
}

/** Fixed mtime so that saving the same images twice gives the same bytes. */
const EPOCH = new Date(0);

function entry(name: string, type: 'file' | 'directory', size = 0): TarHeader {
  return { name, type, size, mode: type === 'directory' ? 0o755 : 0o644, uid: 0, gid: 0, mtime: EPOCH };
}

const blobPath = (d: Digest): string => `blobs/sha256/${digestHex(d)}`;

/** The image's manifest: the stored one when it describes exactly these blobs, else a new OCI manifest. */
async function manifestFor(record: ImageRecord, content: ContentReader): Promise<{ bytes: Buffer; digest: Digest; mediaType: string }> {
  if (record.manifestDigest !== undefined && (await content.info(record.manifestDigest))) {
    const bytes = await content.readAll(record.manifestDigest);
    const m = JSON.parse(bytes.toString('utf8')) as Partial<ImageManifest>;
    const sameBlobs =
      m.config?.digest === record.configDigest &&
      Array.isArray(m.layers) &&
      m.layers.length === record.layers.length &&
      m.layers.every((l, i) => l.digest === record.layers[i]?.digest);
    if (sameBlobs) return { bytes, digest: record.manifestDigest, mediaType: m.mediaType ?? record.manifestMediaType ?? MediaType.ociManifest };
  }
  const configInfo = await content.info(record.configDigest);
  if (!configInfo) throw new InvalidArgument(`cannot save image ${record.id}: its config blob is missing`);
  const manifest: ImageManifest = {
    schemaVersion: 2,
    mediaType: MediaType.ociManifest,
    config: { mediaType: MediaType.ociConfig, digest: record.configDigest, size: configInfo.size },
    layers: record.layers.map((l) => ({
      mediaType: ociLayerMediaType(layerCompression(l.mediaType) ?? 'none'),
      digest: l.digest,
      size: l.size,
    })),
  };
  const bytes = Buffer.from(JSON.stringify(manifest));
  return { bytes, digest: sha256(bytes), mediaType: MediaType.ociManifest };
}

/**
 * Writes a `docker save` archive in Docker 25+ layout (blobs/sha256/…, index.json, oci-layout,
 * manifest.json, repositories), which both `docker load` and OCI tools (skopeo oci-archive:) read.
 * Blobs go out as stored (compressed layers stay compressed; docker load accepts them), each once.
 */
export async function writeImageArchive(images: ArchiveImage[], content: ContentReader, out: Writable, opts: { signal?: AbortSignal } = {}): Promise<void> {
  const { signal } = opts;
  const tw = new TarWriter();
  const piping = pipeline(tw.stream, out, signal ? { signal } : {});
  // If writing fails, piping rejects too; its rejection is reported through the first error below.
  piping.catch(() => undefined);
  try {
    await tw.add(entry('blobs', 'directory'));
    await tw.add(entry('blobs/sha256', 'directory'));
    const written = new Set<Digest>();
    const addBlob = async (d: Digest, bytes?: Buffer): Promise<void> => {
      if (written.has(d)) return;
      written.add(d);
      signal?.throwIfAborted();
      if (bytes) return tw.add(entry(blobPath(d), 'file', bytes.length), bytes);
      const info = await content.info(d);
      if (!info) throw new InvalidArgument(`cannot save: blob ${d} is missing from the content store`);
      await tw.add(entry(blobPath(d), 'file', info.size), content.read(d, signal ? { signal } : {}));
    };

    const manifestJson: { Config: string; RepoTags: string[]; Layers: string[] }[] = [];
    const index: ImageIndex = { schemaVersion: 2, mediaType: MediaType.ociIndex, manifests: [] };
    const repositories: Record<string, Record<string, string>> = {};
    for (const { record, repoTags } of images) {
      const m = await manifestFor(record, content);
      await addBlob(record.configDigest);
      for (const l of record.layers) await addBlob(l.digest);
      await addBlob(m.digest, m.bytes);
      const desc: Descriptor = { mediaType: m.mediaType, digest: m.digest, size: m.bytes.length };
      const familiar: string[] = [];
      for (const t of repoTags) {
        const ref = parseReference(t, { defaultTag: true });
        if (ref.tag === undefined || ref.digest !== undefined) continue;
        const full = `${ref.domain}/${ref.path}:${ref.tag}`;
        familiar.push(familiarString(ref));
        index.manifests.push({ ...desc, annotations: { [Annotations.containerdImageName]: full, [Annotations.refName]: ref.tag } });
        const top = record.layers[record.layers.length - 1];
        if (top) (repositories[familiarName(ref)] ??= {})[ref.tag] = digestHex(top.digest);
      }
      if (familiar.length === 0) index.manifests.push(desc);
      manifestJson.push({ Config: blobPath(record.configDigest), RepoTags: familiar, Layers: record.layers.map((l) => blobPath(l.digest)) });
    }
    const files: [string, Buffer][] = [
      ['index.json', Buffer.from(JSON.stringify(index))],
      ['manifest.json', Buffer.from(JSON.stringify(manifestJson))],
      ['oci-layout', Buffer.from(JSON.stringify({ imageLayoutVersion: '1.0.0' }))],
    ];
    if (Object.keys(repositories).length > 0) files.push(['repositories', Buffer.from(JSON.stringify(repositories))]);
    for (const [name, bytes] of files) await tw.add(entry(name, 'file', bytes.length), bytes);
    await tw.finish();
  } catch (e) {
    tw.stream.destroy(e as Error);
    throw e;
  }
  await piping;
}
