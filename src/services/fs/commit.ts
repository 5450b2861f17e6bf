import type { Readable } from 'node:stream';
import { parseChanges, rfc3339 } from '../../core/images/index.js';
import type { ContainerRecord } from '../../core/metadata/index.js';
import { InvalidArgument, NotFound } from '../../errdefs/index.js';
import type { ImageConfigConfig } from '../../oci/index.js';
import type { Digest } from '../../util/index.js';
import type { ImageConfigJson, ImageService, OperationLease, StoredImage } from '../images/index.js';

export interface CommitOptions {
  repo?: string;
  tag?: string;
  comment?: string;
  author?: string;
  /** Dockerfile instructions (--change). */
  changes: string[];
}

/** The uncompressed layer of a commit; null when the container changed nothing (an empty layer). */
export type CommitLayer = Readable | null;

function mergeEnv(base: string[], extra: string[]): string[] {
  const out = [...base];
  for (const e of extra) {
    const k = e.slice(0, e.indexOf('=') >>> 0);
    const i = out.findIndex((x) => x.slice(0, x.indexOf('=') >>> 0) === k);
    if (i >= 0) out[i] = e;
    else out.push(e);
  }
  return out;
}

/**
 * The committed image's runtime config: the container's own config (the image's merged with what
 * `run` set), then the --change instructions on top, as Docker's BuildFromConfig applies them.
 */
export function commitConfig(parent: Record<string, unknown>, rec: ContainerRecord, changeLines: string[]): Record<string, unknown> {
  const c = rec.config;
  const cfg: Record<string, unknown> = { ...parent };
  const set = (k: string, v: unknown, keep: boolean): void => {
    if (keep) cfg[k] = v;
    else delete cfg[k];
  };
  set('User', c.user, c.user !== '');
  set('Env', c.env, c.env.length > 0);
  set('Cmd', c.cmd, c.cmd !== null);
  set('Entrypoint', c.entrypoint, c.entrypoint !== null);
  set('WorkingDir', c.workingDir, c.workingDir !== '');
  set('Labels', c.labels, Object.keys(c.labels).length > 0);
  set('StopSignal', c.stopSignal, c.stopSignal !== '');
  set('ExposedPorts', c.exposedPorts, Object.keys(c.exposedPorts).length > 0);
  set('Volumes', c.volumes, Object.keys(c.volumes).length > 0);
  const ch: Partial<ImageConfigConfig> = parseChanges(changeLines);
  if (ch.Env) cfg['Env'] = mergeEnv((cfg['Env'] as string[] | undefined) ?? [], ch.Env);
  if (ch.Labels) cfg['Labels'] = { ...((cfg['Labels']) ?? {}), ...ch.Labels };
  if (ch.ExposedPorts) cfg['ExposedPorts'] = { ...((cfg['ExposedPorts']) ?? {}), ...ch.ExposedPorts };
  if (ch.Volumes) cfg['Volumes'] = { ...((cfg['Volumes']) ?? {}), ...ch.Volumes };
  if (ch.Entrypoint !== undefined) {
    cfg['Entrypoint'] = ch.Entrypoint;
    // As in a Dockerfile: a new ENTRYPOINT drops the inherited CMD unless CMD is set as well.
    if (ch.Cmd === undefined) delete cfg['Cmd'];
  }
  if (ch.Cmd !== undefined) cfg['Cmd'] = ch.Cmd;
  for (const k of ['User', 'WorkingDir', 'StopSignal'] as const) if (ch[k] !== undefined) cfg[k] = ch[k];
  if (ch.OnBuild) cfg['OnBuild'] = [...((cfg['OnBuild'] as string[] | null | undefined) ?? []), ...ch.OnBuild];
  return cfg;
}

/** Checks a commit's repository and tag before any work is done; returns the full reference. */
export function commitReference(images: ImageService, repo: string | undefined, tag: string | undefined): string | undefined {
  if (!repo) {
    if (tag) throw new InvalidArgument('tag is specified without a repository');
    return undefined;
  }
  if (tag && !/^[\w][\w.-]{0,127}$/.test(tag)) throw new InvalidArgument(`invalid tag format: ${tag}`);
  const full = images.deps.refs.normalize(tag ? `${repo}:${tag}` : repo);
  if (full.includes('@')) throw new InvalidArgument('refusing to create a tag with a digest reference');
  return full;
}

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
export async function writeImage(images: ImageService, n: NewImage): Promise<StoredImage> {
  const lease = images.lease();
  try {
    const img = await writeLeased(images, n, lease);
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

async function writeLeased(images: ImageService, n: NewImage, lease: OperationLease): Promise<StoredImage> {
  // The parent's content is named first, then checked: an rmi -f that took it meanwhile fails this
  // step cleanly instead of leaving an image whose layers are gone.
  const base = n.parent?.layers ?? [];
  for (const l of base) lease.blob(l.digest);
  if (n.parent) for (const c of images.chainIdsOf(n.parent)) lease.layer(c);
  for (const l of base) {
    if (!(await images.deps.blobs.info(l.digest))) throw new NotFound(`the base image's layer ${l.digest} was removed during the operation`);
  }
  const created = rfc3339(new Date());
  const blob = n.layer && !n.reuse ? await images.deps.blobs.write(n.layer, undefined, { ...(n.signal ? { signal: n.signal } : {}), onCommit: lease.onCommit }) : null;
  const top = n.reuse ? n.reuse.layer : blob ? { digest: blob.digest, diffId: blob.digest, size: blob.size, mediaType: 'application/vnd.oci.image.layer.v1.tar' } : null;
  if (n.reuse?.layer) {
    lease.blob(n.reuse.layer.digest);
    if (!(await images.deps.blobs.info(n.reuse.layer.digest))) throw new NotFound(`the cached layer ${n.reuse.layer.digest} was removed during the build`);
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
  const cfgBlob = await images.deps.blobs.write(Buffer.from(JSON.stringify(config)), undefined, { onCommit: lease.onCommit });
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
  images.deps.records.put(img, n.refs ?? []);
  return img;
}

/**
 * Records a new image: the container's image plus `layer` (exactly one more layer; none, marked
 * empty_layer in the history, when nothing changed), with the commit's config and history entry.
 */
export async function commitImage(images: ImageService, rec: ContainerRecord, layer: CommitLayer, opts: CommitOptions, signal?: AbortSignal): Promise<Digest> {
  const ref = commitReference(images, opts.repo, opts.tag);
  const parent: StoredImage = images.get(rec.imageId);
  const parentCfg: ImageConfigJson = await images.config(parent);
  const img = await writeImage(images, {
    parent,
    parentConfig: parentCfg,
    layer,
    config: commitConfig(parentCfg.config ?? {}, rec, opts.changes),
    history: {
      created_by: [rec.path, ...rec.args].join(' '),
      ...(opts.author ? { author: opts.author } : {}),
      ...(opts.comment ? { comment: opts.comment } : {}),
    },
    extra: { container: rec.id },
    ...(ref ? { refs: [ref] } : {}),
    ...(signal ? { signal } : {}),
  });
  images.deps.bus?.publish('container', 'commit', rec.id, {
    comment: opts.comment ?? '',
    imageID: img.id,
    imageRef: ref ? images.deps.refs.familiar(ref) : img.id,
    name: rec.name,
    image: rec.config.image,
  });
  if (ref) images.deps.bus?.publish('image', 'tag', img.id, { name: images.deps.refs.familiar(ref) });
  return img.id;
}
