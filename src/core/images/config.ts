import type { ImageConfig, ImageConfigConfig, History } from '../../oci/index.js';
import { hostPlatform } from '../../oci/index.js';
import type { Digest } from '../../util/index.js';

export interface NewImageConfigOptions {
  diffIds: Digest[];
  changes?: Partial<ImageConfigConfig>;
  /** Docker import's message ("Imported from -" when none is given). */
  comment?: string;
  author?: string;
  created?: Date;
  /** Defaults to one entry per layer, the comment on the last. */
  history?: History[];
}

/** Docker formats created times as RFC 3339 with nanoseconds; JS has milliseconds. */
export function rfc3339(d: Date): string {
  return d.toISOString().replace(/\.(\d{3})Z$/, '.$1000000Z');
}

/** A new image config for the host platform (os linux, architecture from process.arch). */
export function newImageConfig(opts: NewImageConfigOptions): ImageConfig {
  const created = rfc3339(opts.created ?? new Date());
  const platform = hostPlatform();
  const comment = opts.comment ?? 'Imported from -';
  const history: History[] =
    opts.history ??
    opts.diffIds.map((_, i) => ({ created, ...(i === opts.diffIds.length - 1 ? { comment } : {}) }));
  const config: ImageConfig = {
    architecture: platform.architecture,
    ...(opts.author !== undefined ? { author: opts.author } : {}),
    comment,
    config: { ...(opts.changes ?? {}) },
    created,
    history,
    os: platform.os,
    rootfs: { type: 'layers', diff_ids: [...opts.diffIds] },
  };
  if (platform.variant !== undefined) config.variant = platform.variant;
  return config;
}

/** The serialized config: its digest is the image ID, so callers store exactly these bytes. */
export function serializeImageConfig(config: ImageConfig): Buffer {
  return Buffer.from(JSON.stringify(config));
}
