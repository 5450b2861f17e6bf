import { createHash } from 'node:crypto';
import { chmod, chown, lstat, mkdir, mkdtemp, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { CacheSharing } from '../../core/dockerfile/index.js';

/** What a cache directory records beside its data (meta.json). */
interface CacheMeta {
  id: string;
  /** The target of the mount that made it, for `system df`'s description. */
  target: string;
  created: string;
  lastUsed: string;
  usageCount: number;
}

/** One cache directory of RUN --mount=type=cache, as `system df` and `builder prune` see it. */
export interface CacheMountUsage {
  /** The directory's key (the id's digest, with -N for an extra private instance). */
  key: string;
  id: string;
  target: string;
  size: number;
  created: string;
  lastUsed: string;
  usageCount: number;
  inUse: boolean;
}

/** A cache directory held by one step; release() when the step ends. */
export interface HeldCache {
  dir: string;
  release(): Promise<void>;
}

/** How one mount asks for its cache: by id, with the owner and mode a new directory gets. */
export interface CacheRequest {
  id: string;
  target: string;
  sharing: CacheSharing;
  mode: number;
  uid: number;
  gid: number;
  /** Fills a new directory (from= and source=) before it is first used. */
  seed?: (dir: string) => Promise<void>;
  /** Stops waiting for a locked directory (the build was cancelled). */
  signal?: AbortSignal;
}

async function du(path: string): Promise<number> {
  let total = 0;
  const st = await lstat(path).catch(() => null);
  if (!st) return 0;
  total += st.isDirectory() ? 0 : st.blocks * 512 || st.size;
  if (st.isDirectory()) for (const n of await readdir(path).catch(() => [] as string[])) total += await du(join(path, n));
  return total;
}

/**
 * The persistent directories of RUN --mount=type=cache, kept by berthd under its data root
 * (build-cache/mounts/<key>/data), one per id: they outlive builds and restarts, never become part
 * of an image, and go with `builder prune`. sharing=locked serialises the steps using one id;
 * private gives a step another directory while the first is busy (kept too, for the next busy time).
 */
export class CacheMounts {
  /** Key → how many steps hold it now. */
  readonly #held = new Map<string, number>();
  /** Key → steps waiting for a locked directory. */
  readonly #waiting = new Map<string, (() => void)[]>();
  /** Keys being made now (two steps asking for a new id at once make it once). */
  readonly #making = new Map<string, Promise<void>>();

  constructor(readonly root: string) {}

  static keyOf(id: string): string {
    return createHash('sha256').update(id).digest('hex').slice(0, 32);
  }

  async acquire(req: CacheRequest): Promise<HeldCache> {
    const base = CacheMounts.keyOf(req.id);
    let key = base;
    if (req.sharing === 'locked') {
      while ((this.#held.get(key) ?? 0) > 0) await this.#wait(key, req.signal);
    } else if (req.sharing === 'private') {
      for (let n = 1; (this.#held.get(key) ?? 0) > 0; n++) key = `${base}-${n}`;
    }
    this.#held.set(key, (this.#held.get(key) ?? 0) + 1);
    try {
      const dir = await this.#ensure(key, req);
      let released = false;
      return {
        dir,
        release: async () => {
          if (released) return;
          released = true;
          await this.#touch(key).catch(() => undefined);
          this.#drop(key);
        },
      };
    } catch (e) {
      this.#drop(key);
      throw e;
    }
  }

  #wait(key: string, signal: AbortSignal | undefined): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      signal?.throwIfAborted();
      const wake = (): void => {
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      const onAbort = (): void => {
        this.#waiting.set(key, (this.#waiting.get(key) ?? []).filter((w) => w !== wake));
        reject(signal?.reason);
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.#waiting.set(key, [...(this.#waiting.get(key) ?? []), wake]);
    });
  }

  #drop(key: string): void {
    const n = (this.#held.get(key) ?? 1) - 1;
    if (n > 0) this.#held.set(key, n);
    else this.#held.delete(key);
    const next = this.#waiting.get(key)?.shift();
    if (next) next();
  }

  async #ensure(key: string, req: CacheRequest): Promise<string> {
    const dir = join(this.root, key);
    const data = join(dir, 'data');
    for (;;) {
      const making = this.#making.get(key);
      if (!making) break;
      await making.catch(() => undefined);
    }
    if (await lstat(data).then(() => true, () => false)) return data;
    const made = (async () => {
      await mkdir(this.root, { recursive: true, mode: 0o700 });
      // Made aside and renamed into place: a directory half-seeded by a failed step is never used.
      const tmp = await mkdtemp(join(this.root, '.new-'));
      try {
        const d = join(tmp, 'data');
        await mkdir(d);
        if (req.seed) await req.seed(d);
        await chown(d, req.uid, req.gid);
        await chmod(d, req.mode);
        const now = new Date().toISOString();
        const meta: CacheMeta = { id: req.id, target: req.target, created: now, lastUsed: now, usageCount: 0 };
        await writeFile(join(tmp, 'meta.json'), JSON.stringify(meta));
        await rename(tmp, dir);
      } catch (e) {
        await rm(tmp, { recursive: true, force: true });
        throw e;
      }
    })();
    this.#making.set(key, made);
    try {
      await made;
    } finally {
      this.#making.delete(key);
    }
    return data;
  }

  async #meta(key: string): Promise<CacheMeta | null> {
    try {
      return JSON.parse(await readFile(join(this.root, key, 'meta.json'), 'utf8')) as CacheMeta;
    } catch {
      return null;
    }
  }

  async #touch(key: string): Promise<void> {
    const m = await this.#meta(key);
    if (!m) return;
    await writeFile(join(this.root, key, 'meta.json'), JSON.stringify({ ...m, lastUsed: new Date().toISOString(), usageCount: m.usageCount + 1 }));
  }

  async #keys(): Promise<string[]> {
    return (await readdir(this.root).catch(() => [] as string[])).filter((n) => !n.startsWith('.'));
  }

  /** Every cache directory with its size. */
  async usage(): Promise<CacheMountUsage[]> {
    const out: CacheMountUsage[] = [];
    for (const key of await this.#keys()) {
      const m = await this.#meta(key);
      if (!m) continue;
      out.push({ key, id: m.id, target: m.target, size: await du(join(this.root, key, 'data')), created: m.created, lastUsed: m.lastUsed, usageCount: m.usageCount, inUse: (this.#held.get(key) ?? 0) > 0 });
    }
    return out;
  }

  /** Removes every cache directory no step holds now; also what a crash left half-made. */
  async prune(): Promise<{ deleted: string[]; spaceReclaimed: number }> {
    const deleted: string[] = [];
    let spaceReclaimed = 0;
    for (const n of await readdir(this.root).catch(() => [] as string[])) {
      if (n.startsWith('.new-') && !this.#making.size) {
        await rm(join(this.root, n), { recursive: true, force: true });
        continue;
      }
      if (n.startsWith('.') || (this.#held.get(n) ?? 0) > 0 || this.#making.has(n)) continue;
      spaceReclaimed += await du(join(this.root, n, 'data'));
      await rm(join(this.root, n), { recursive: true, force: true });
      deleted.push(n);
    }
    return { deleted, spaceReclaimed };
  }
}
