import type { ImageConfigJson, StoredImage } from '../images/index.js';

/** An image given with --cache-from, with its config. */
export interface CacheSource {
  image: StoredImage;
  config: ImageConfigJson;
}

type History = NonNullable<ImageConfigJson['history']>[number];

function sameEntry(a: History, b: History | undefined): boolean {
  if (!b) return false;
  const keys: (keyof History)[] = ['created', 'created_by', 'author', 'comment', 'empty_layer'];
  return keys.every((k) => (a[k] ?? undefined) === (b[k] ?? undefined) || (k === 'empty_layer' && !a[k] && !b[k]));
}

/**
 * Docker's rule for a cache-from image: it can stand in for the next step on `parent` only when its
 * history and layers start with the parent's, one entry longer at least (no parent, or an empty
 * one, always fits).
 */
export function extendsParent(target: ImageConfigJson, parent: ImageConfigJson | null): boolean {
  const th = target.history ?? [];
  if (th.length === 0) return false;
  const ph = parent?.history ?? [];
  const pd = parent?.rootfs?.diff_ids ?? [];
  if (!parent || (ph.length === 0 && pd.length === 0)) return true;
  const td = target.rootfs?.diff_ids ?? [];
  if (ph.length >= th.length || pd.length > td.length) return false;
  return ph.every((h, i) => sameEntry(h, th[i])) && pd.every((d, i) => d === td[i]);
}

/** The layer that history entry `index` of the source made, or null for a config-only entry. */
export function layerAt(source: CacheSource, index: number): StoredImage['layers'][number] | null {
  const history = source.config.history ?? [];
  if (history[index]?.empty_layer) return null;
  const before = history.slice(0, index).filter((h) => !h.empty_layer).length;
  return source.image.layers[before] ?? null;
}
