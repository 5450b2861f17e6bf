import type { Readable } from 'node:stream';
import { rfc3339 } from '../../core/images/index.js';
import { NotFound } from '../../errdefs/index.js';
import type { OperationLease } from './lease.js';
import type { StoredImage } from './ports.js';
import type { ImageConfigJson, ImageService, ImageServiceDeps } from './service.js';

/** The uncompressed layer of a new image; null when there is none (an empty layer). */
export type CommitLayer = Readable | null;

/** A history entry of an image config, as the OCI image spec defines it. */
export interface HistoryEntry {
  created?: string;
  created_by?: string;
  author?: string;
  comment?: string;
  empty_layer?: boolean;
}

export interface NewImage {
  /** The image below (null for an image built FROM scratch). */
  parent: StoredImage | null;
  parentConfig: ImageConfigJson;
  /** The uncompressed layer on top, or null for a config-only image (empty_layer in its history). */
  layer: CommitLayer;
  /** The runtime config (OCI `config`). */
  config: Record<string, unknown>;
  history: Omit<HistoryEntry, 'empty_layer' | 'created'>;
  /** Top-level config fields beside the required ones (author, comment, container, container_config). */
  extra?: Record<string, unknown>;
  /** Kept in the record as Docker keeps it: builds and commits know their parent image. */
  parentId?: string;
  refs?: string[];
  signal?: AbortSignal;
  /**
   * Instead of `layer` and a new history entry: a layer and its entry taken from another image
   * (the build cache restoring a step of a --cache-from image).
   */
  reuse?: { layer: StoredImage['layers'][number] | null; entry: HistoryEntry };
}

/**
 * Stores an image made of `parent` plus at most one layer: the layer blob, the config (history
 * extended by one entry, diff_ids by the layer), the record, the unpacked layer. Used by commit and
 * by the builder.
 */
export async function writeImage(images: ImageService, deps: ImageServiceDeps, n: NewImage): Promise<StoredImage> {
  const lease = images.lease();
  try {
    const img = await writeLeased(images, deps, n, lease);
    await lease.end(true);
    return img;
  } catch (e) {
    // A layer not read to its end is drained while the container's files are still mounted: its
    // exporter is already running, and would fail later, unheard, on files that are gone.
    const layer = n.layer;
    if (layer && !layer.readableEnded && !layer.destroyed) {
      await new Promise<void>((done) => {
        layer.once('end', done).once('error', () => done()).once('close', done);
        layer.resume();
      });
    }
    // What a failed commit or build step stored goes again, unless something else uses it.
    await lease.end(false);
    throw e;
  }
}

async function writeLeased(images: ImageService, deps: ImageServiceDeps, n: NewImage, lease: OperationLease): Promise<StoredImage> {
  // The parent's content is named first, then checked: an rmi -f that took it meanwhile fails this
  // step cleanly instead of leaving an image whose layers are gone.
  const base = n.parent?.layers ?? [];
  for (const l of base) lease.blob(l.digest);
  if (n.parent) for (const c of images.chainIdsOf(n.parent)) lease.layer(c);
  for (const l of base) {
    if (!(await deps.blobs.info(l.digest))) throw new NotFound(`the base image's layer ${l.digest} was removed during the operation`);
  }
  const created = rfc3339(new Date());
  const blob = n.layer && !n.reuse ? await deps.blobs.write(n.layer, undefined, { ...(n.signal ? { signal: n.signal } : {}), onCommit: lease.onCommit }) : null;
  const top = n.reuse ? n.reuse.layer : blob ? { digest: blob.digest, diffId: blob.digest, size: blob.size, mediaType: 'application/vnd.oci.image.layer.v1.tar' } : null;
  if (n.reuse?.layer) {
    lease.blob(n.reuse.layer.digest);
    if (!(await deps.blobs.info(n.reuse.layer.digest))) throw new NotFound(`the cached layer ${n.reuse.layer.digest} was removed during the build`);
  }
  const pc = n.parentConfig;
  const entry: HistoryEntry = n.reuse ? n.reuse.entry : { created, ...n.history, ...(top ? {} : { empty_layer: true }) };
  const history: HistoryEntry[] = [...(pc.history ?? []), entry];
  const diffIds = [...(pc.rootfs?.diff_ids ?? n.parent?.layers.map((l) => l.diffId) ?? []), ...(top ? [top.diffId] : [])];
  const config: Record<string, unknown> = {
    architecture: pc.architecture ?? 'amd64',
    ...(n.history.author ? { author: n.history.author } : {}),
    ...(n.history.comment ? { comment: n.history.comment } : {}),
    config: n.config,
    ...n.extra,
    created,
    history,
    os: pc.os ?? 'linux',
    rootfs: { type: 'layers', diff_ids: diffIds },
    ...(pc.variant ? { variant: pc.variant } : {}),
  };
  const cfgBlob = await deps.blobs.write(Buffer.from(JSON.stringify(config)), undefined, { onCommit: lease.onCommit });
  const layers = [...base, ...(top ? [top] : [])];
  const img: StoredImage = {
    id: cfgBlob.digest,
    configDigest: cfgBlob.digest,
    layers,
    created,
    size: (n.parent?.size ?? 0) + (top?.size ?? 0),
    ...(n.parentId !== undefined ? { parent: n.parentId } : {}),
  };
  for (const c of images.chainIdsOf(img)) lease.layer(c);
  await images.unpack(img, n.signal);
  deps.records.put(img, n.refs ?? []);
  return img;
}

