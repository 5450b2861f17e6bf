import type { Dockerfile } from '../../core/dockerfile/index.js';
import type { Blobs, ImageConfigJson, ImageRecords, StoredImage } from '../images/index.js';
import type { CacheSource } from './cache-from.js';

export const SCRATCH_CONFIG: ImageConfigJson = { architecture: 'amd64', os: 'linux', config: {}, rootfs: { type: 'layers', diff_ids: [] }, history: [] };

/** A finished stage: its image (null for a FROM scratch stage without steps) and config. */
export interface StageResult {
  index: number;
  name: string | undefined;
  image: StoredImage | null;
  config: ImageConfigJson;
}

/** An image without layers to run FROM scratch steps on, made once per build and removed when it ends. */
export class ScratchImage {
  #image: Promise<StoredImage> | null = null;
  constructor(readonly store: { blobs: Blobs; records: ImageRecords }) {}

  ref(): Promise<string> {
    this.#image ??= (async () => {
      const { blobs, records } = this.store;
      const cfg = await blobs.write(Buffer.from(JSON.stringify({ ...SCRATCH_CONFIG, created: new Date().toISOString() })));
      const img: StoredImage = { id: cfg.digest, configDigest: cfg.digest, layers: [], created: new Date(0).toISOString(), size: 0 };
      records.put(img, []);
      return img;
    })();
    return this.#image.then((i) => i.id);
  }

  async drop(): Promise<void> {
    const p = this.#image;
    if (!p) return;
    this.#image = null;
    const s = await p.catch(() => null);
    if (!s) return;
    const { blobs, records } = this.store;
    records.delete(s.id);
    await blobs.delete(s.configDigest).catch(() => undefined);
  }
}

/** What the stages of one build share: the Dockerfile, its global ARGs, the finished stages, the scratch image. */
export interface BuildRun {
  df: Dockerfile;
  /** The ARGs before the first FROM, with their values. */
  meta: Map<string, string | undefined>;
  /** Build args some ARG declared (the others are reported as not consumed). */
  used: Set<string>;
  /** Stage index → its result, once built. */
  results: Map<number, StageResult>;
  scratch: ScratchImage;
  /** --cache-from images found (null: none given, only the local cache counts). */
  sources: CacheSource[] | null;
  /** Steps being made now, by cache key, with the image they end with (null if they failed). */
  steps: Map<string, Promise<StoredImage | null>>;
  /** Step containers being removed: off each step's path, and all gone before the build ends. */
  removals: Set<Promise<void>>;
}

/** The finished stage a FROM, --from or from= names: by name, or (numeric) by index. */
export function stageResult(run: BuildRun, ref: string, before: number, earlierOnly = false): StageResult | undefined {
  const name = ref.toLowerCase();
  for (const r of run.results.values()) if (r.name === name && r.index < before) return r;
  if (earlierOnly) return undefined;
  if (/^\d+$/.test(ref)) return run.results.get(Number(ref));
  // A --from may name a later stage (BuildKit allows it; the plan has built it first).
  for (const r of run.results.values()) if (r.name === name) return r;
  return undefined;
}
