import type { ContentStore } from '../../core/content/index.js';
import type { Digest } from '../../util/index.js';

/**
 * Manifest bytes by digest, kept in memory (they are small, immutable and read far more often than
 * written): GET of a manifest is then one SQLite lookup and one write.
 */
export class ManifestCache {
  readonly #entries = new Map<Digest, Buffer>();
  #bytes = 0;

  constructor(
    private readonly content: ContentStore,
    private readonly maxBytes = 32 << 20,
  ) {}

  async get(d: Digest, maxSize: number): Promise<Buffer> {
    const hit = this.#entries.get(d);
    if (hit) {
      // Map order is insertion order: re-inserting marks it most recently used.
      this.#entries.delete(d);
      this.#entries.set(d, hit);
      return hit;
    }
    const data = await this.content.readAll(d, maxSize);
    this.put(d, data);
    return data;
  }

  put(d: Digest, data: Buffer): void {
    if (this.#entries.has(d) || data.length > this.maxBytes) return;
    this.#entries.set(d, data);
    this.#bytes += data.length;
    for (const [k, v] of this.#entries) {
      if (this.#bytes <= this.maxBytes) break;
      this.#entries.delete(k);
      this.#bytes -= v.length;
    }
  }

  forget(d: Digest): void {
    const v = this.#entries.get(d);
    if (v) {
      this.#entries.delete(d);
      this.#bytes -= v.length;
    }
  }
}
