import type { Digest } from '../../util/index.js';
import type { ImageRecords, ImageService, StoredImage } from '../images/index.js';
import type { StageState } from './state.js';

/*
 * The classic builder's cache lookup on the image records: a step's image is a child of its parent
 * image whose container_config (and author) is the step's. Build.#probe adds the --cache-from
 * sources on top of this.
 */

/** JSON with sorted keys, so that configs compare by content. */
export function canonical(v: unknown): string {
  return JSON.stringify(v, (_k, x: unknown) => (x && typeof x === 'object' && !Array.isArray(x) ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => (a < b ? -1 : 1))) : x));
}

/** Whether `ancestor` is among the parents of `id`. */
export function descends(records: ImageRecords, id: string, ancestor: string): boolean {
  const seen = new Set<string>();
  for (let cur = records.get(id as Digest)?.parent; cur && !seen.has(cur); cur = records.get(cur as Digest)?.parent) {
    if (cur === ancestor) return true;
    seen.add(cur);
  }
  return false;
}

/** The stage's current image's child made by this same step in an earlier build, if one is kept. */
export async function cachedChild(deps: { records: ImageRecords; images: ImageService }, st: StageState, cc: Record<string, unknown>): Promise<StoredImage | null> {
  const want = canonical(cc);
  for (const id of deps.records.childrenOf(st.image?.id ?? '')) {
    const img = deps.records.get(id);
    if (!img) continue;
    const cfg = await deps.images.config(img).catch(() => null);
    if (cfg && canonical(cfg.container_config) === want && (cfg.author ?? undefined) === st.author) return img;
  }
  return null;
}
