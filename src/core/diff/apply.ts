import { chmod, lchown, lstat, lutimes, readdir, rm } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { InvalidArgument } from '../../errdefs/index.js';
import { lsetxattr, mknod, S_IFCHR } from '../../sys/index.js';
import { newResumableHash, type Digest } from '../../util/index.js';
import { readTar, type TarEntry, type TarHeader, type TarStart } from '../../util/tar/index.js';
import { decompress, type GunzipBoundary } from './decompress.js';
import { cleanComponents, RootResolver } from './resolve.js';
import { writeEntry, type EntryOptions } from './entry.js';

/**
 * 'overlay': the target is a fresh directory used as an overlay lowerdir, so whiteouts become
 * overlayfs' own markers. 'copy': the target already holds the parent's full tree, so whiteouts
 * delete.
 */
export type LayerFormat = 'overlay' | 'copy';

const WH = '.wh.';
const OPAQUE = '.wh..wh..opq';

/** Marks a directory opaque for overlayfs (as root; rootless would need user.overlay.*). */
const OPAQUE_XATTR = 'trusted.overlay.opaque';

/**
 * Applies a layer tarball (gzip, zstd or plain) to `target`. diffId is the sha256 of the
 * uncompressed tar, size its length. No entry can write outside `target`: names are cleaned, '..'
 * above the root is refused, and every parent path is resolved inside `target` as under chroot.
 */
export interface ApplyOptions {
  format: LayerFormat;
  signal?: AbortSignal;
  /**
   * `target` already holds what an earlier, interrupted apply of the same archive wrote up to this
   * offset of the uncompressed tar (see onProgress): entries that end before it are read but not
   * written again, and a file it falls inside is continued where it stopped.
   */
  resumeAt?: number;
  /** Hears the offset of the uncompressed tar up to which `target` holds the archive (a resume point). */
  onProgress?: (offset: number) => void;
  /**
   * Continue from a checkpoint an earlier apply of the same layer made (see onCheckpoint): `layer`
   * is the compressed stream from `checkpoint.in` on, `resumeAt` must be at least `checkpoint.out`,
   * and `dirs` are the directories of every onCheckpoint up to this one.
   */
  from?: { checkpoint: ApplyCheckpoint; dirs: DirTime[] };
  /**
   * Hears checkpoints, about every `every` bytes of tar: points an apply can continue from without
   * the bytes before them (uncompressed layers, and gzip through the native addon; 'overlay'
   * format). `dirs` are the directories met since the previous one.
   */
  checkpoints?: { every: number; on: (c: ApplyCheckpoint, dirs: DirTime[]) => void };
}

/** A point an apply can continue from: the decompressor's and the tar digest's states there, and where the tar read stands. */
export interface ApplyCheckpoint {
  /** Offset in the compressed layer. */
  in: number;
  /** Offset in the uncompressed tar. */
  out: number;
  /** The decompressor's saved state (empty for an uncompressed layer). */
  gunzip: Buffer;
  tarHash: Buffer;
  tar: TarStart;
}

/** A directory of the layer (its path under the target, '/'-joined, '' for the root) and its mtime in ms: set last, at the end. */
export type DirTime = [rel: string, mtime: number];

export async function applyLayer(target: string, layer: Readable | AsyncIterable<Uint8Array>, opts: ApplyOptions): Promise<{ diffId: Digest; size: number }> {
  const { signal } = opts;
  signal?.throwIfAborted();
  const from = opts.from?.checkpoint;
  if (from && from.out > (opts.resumeAt ?? 0)) throw new InvalidArgument('a checkpoint beyond what the target holds cannot be continued');
  const applier = new Applier(target, opts.format, opts.from?.dirs);
  const marks = opts.checkpoints && opts.format === 'overlay' ? new Checkpoints(applier, opts.checkpoints.on) : undefined;
  const hasher = newResumableHash(from?.tarHash);
  const dec = await decompress(layer, {
    ...(signal ? { signal } : {}),
    ...(from ? { resume: { state: from.gunzip, in: from.in } } : {}),
    ...(marks && opts.checkpoints ? { boundaries: { every: opts.checkpoints.every, on: (b: GunzipBoundary) => marks.boundary(b, hasher.save()) } } : {}),
  });
  let size = from?.out ?? 0;
  const hashed = (async function* (): AsyncGenerator<Buffer> {
    for await (const c of dec.chunks) {
      hasher.update(c);
      size += c.length;
      yield c;
    }
  })();
  // readTar closes its source when the archive ends; keep ours open so trailing padding is hashed too.
  const view: AsyncIterable<Buffer> = {
    [Symbol.asyncIterator]: () => ({
      next: () => hashed.next(),
      return: async () => ({ done: true as const, value: undefined }),
    }),
  };
  try {
    const resumeAt = opts.resumeAt ?? 0;
    for await (const e of readTar(view, { ...(signal ? { signal } : {}), ...(from ? { start: from.tar } : {}) })) {
      signal?.throwIfAborted();
      marks?.entry(e);
      if (e.endOffset <= resumeAt) {
        applier.replay(e.header);
        continue;
      }
      const onWritten = opts.onProgress && ((n: number): void => opts.onProgress?.(e.dataOffset + n));
      const continueAt = resumeAt > e.dataOffset && e.header.type === 'file' ? resumeAt - e.dataOffset : 0;
      await applier.apply(e.header, e.body, { continueAt, bodyFrom: e.bodyFrom, ...(onWritten ? { onWritten } : {}) });
      opts.onProgress?.(e.endOffset);
    }
    for (;;) if ((await hashed.next()).done) break;
    await dec.done();
    await applier.finish();
  } catch (e) {
    dec.destroy();
    // As stream.pipeline does: a failed consumer destroys its source, which also unblocks a stalled read.
    if (layer instanceof Readable) layer.destroy();
    void hashed.return(undefined).catch(() => undefined);
    throw e;
  }
  return { diffId: hasher.digest(), size };
}

/**
 * Turns the decompressor's block boundaries into checkpoints: a boundary's tar offset becomes one
 * once the read reaches the entry it falls in, if it falls at the start of an entry's headers or
 * inside a body or its padding (a boundary inside header blocks is dropped: a read cannot start there).
 */
class Checkpoints {
  readonly #pending: Omit<ApplyCheckpoint, 'tar'>[] = [];
  #current: TarEntry | undefined;
  #dirsSent: number;

  constructor(
    private readonly applier: Applier,
    private readonly on: (c: ApplyCheckpoint, dirs: DirTime[]) => void,
  ) {
    this.#dirsSent = applier.dirTimes.length;
  }

  boundary(b: GunzipBoundary, tarHash: Buffer | null): void {
    if (!tarHash) return;
    this.#pending.push({ in: b.in, out: b.out, gunzip: b.state, tarHash });
    this.#resolve();
  }

  /** An entry the read reached (before it is applied). */
  entry(e: TarEntry): void {
    this.#current = e;
    this.#resolve();
  }

  #resolve(): void {
    const e = this.#current;
    while (e && this.#pending.length > 0) {
      const p = this.#pending[0]!;
      let tar: TarStart | undefined;
      if (p.out === e.headerOffset) tar = { offset: p.out };
      else if (p.out >= e.dataOffset && p.out < e.endOffset) tar = { offset: p.out, entry: { header: e.header, dataOffset: e.dataOffset } };
      else if (p.out >= e.endOffset) return; // in an entry the read has not reached yet
      this.#pending.shift();
      if (!tar) continue;
      const dirs = this.applier.dirTimes.slice(this.#dirsSent).map((d): DirTime => [d.rel.join('/'), d.mtime.getTime()]);
      this.#dirsSent = this.applier.dirTimes.length;
      this.on({ ...p, tar }, dirs);
    }
  }
}

class Applier {
  private readonly resolver: RootResolver;
  /** Paths (relative, resolved) this layer created: an opaque whiteout in 'copy' keeps them. */
  private readonly created = new Set<string>();
  readonly dirTimes: { rel: string[]; mtime: Date }[] = [];

  constructor(
    readonly root: string,
    readonly format: LayerFormat,
    dirs: DirTime[] = [],
  ) {
    this.resolver = new RootResolver(root);
    for (const [rel, mtime] of dirs) this.dirTimes.push({ rel: rel === '' ? [] : rel.split('/'), mtime: new Date(mtime) });
  }

  private onCreate = (rel: string): void => {
    this.created.add(rel);
  };

  /** An entry an earlier apply wrote: only what finish() needs is noted. */
  replay(h: TarHeader): void {
    const comps = cleanComponents(h.name);
    if (h.type === 'directory') this.dirTimes.push({ rel: comps, mtime: h.mtime });
    if (this.format === 'copy') this.created.add(comps.join('/'));
  }

  async apply(h: TarHeader, body: Readable, opts: EntryOptions = {}): Promise<void> {
    const comps = cleanComponents(h.name);
    const base = comps.at(-1);
    if (base === undefined) {
      // The archive's root entry: take its metadata, never replace the target itself.
      if (h.type !== 'directory') throw new InvalidArgument('invalid tar entry for the layer root: not a directory');
      await lchown(this.root, h.uid, h.gid);
      await chmod(this.root, h.mode);
      this.dirTimes.push({ rel: [], mtime: h.mtime });
      return;
    }
    const parent = await this.resolver.resolveDir(comps.slice(0, -1), this.onCreate);
    const parentAbs = this.resolver.abs(parent);

    if (base.startsWith(WH)) {
      await this.whiteout(parent, base, h);
      return;
    }

    let linkTarget: string | undefined;
    if (h.type === 'hardlink') linkTarget = await this.hardlinkTarget(h);
    const rel = [...parent, base];
    const res = await writeEntry(`${parentAbs}/${base}`, h, body, linkTarget, opts);
    if (res.replacedDirOrLink) this.resolver.invalidate();
    this.created.add(rel.join('/'));
    if (h.type === 'directory') this.dirTimes.push({ rel, mtime: h.mtime });
  }

  private async hardlinkTarget(h: TarHeader): Promise<string> {
    const comps = cleanComponents(h.linkname ?? '');
    const base = comps.at(-1);
    if (base === undefined) throw new InvalidArgument(`invalid tar entry ${JSON.stringify(h.name)}: hardlink to the layer root`);
    const parent = await this.resolver.resolveDir(comps.slice(0, -1)).catch((e: unknown) => {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw e;
    });
    const st = parent ? await lstat(this.resolver.abs([...parent, base])).catch(() => null) : null;
    if (!st) throw new InvalidArgument(`invalid tar entry ${JSON.stringify(h.name)}: hardlink target ${JSON.stringify(h.linkname)} does not exist`);
    if (st.isDirectory()) throw new InvalidArgument(`invalid tar entry ${JSON.stringify(h.name)}: hardlink to a directory`);
    return this.resolver.abs([...(parent ?? []), base]);
  }

  private async whiteout(parent: string[], base: string, h: TarHeader): Promise<void> {
    const parentAbs = this.resolver.abs(parent);
    if (base === OPAQUE) {
      if (this.format === 'overlay') lsetxattr(parentAbs, OPAQUE_XATTR, 'y');
      else await this.removeLower(parent);
      return;
    }
    // Other '.wh..wh.' names are aufs bookkeeping (hardlink dirs, plinks), meaningless here.
    if (base.startsWith(WH + WH)) return;
    const name = base.slice(WH.length);
    if (name === '' || name === '.' || name === '..') throw new InvalidArgument(`invalid whiteout entry ${JSON.stringify(h.name)}`);
    const p = `${parentAbs}/${name}`;
    const existing = await lstat(p).catch(() => null);
    if (existing) {
      await rm(p, { recursive: true, force: true });
      if (existing.isDirectory() || existing.isSymbolicLink()) this.resolver.invalidate();
    }
    if (this.format === 'overlay') {
      mknod(p, S_IFCHR, 0, 0);
      await lchown(p, h.uid, h.gid);
      await lutimes(p, h.mtime, h.mtime);
      this.created.add([...parent, name].join('/'));
    }
  }

  /** An opaque directory in 'copy': everything beneath it that this layer did not create goes. */
  private async removeLower(dir: string[]): Promise<void> {
    const abs = this.resolver.abs(dir);
    let removed = false;
    const walk = async (relDir: string[], absDir: string): Promise<void> => {
      for (const n of await readdir(absDir)) {
        const rel = [...relDir, n];
        const p = `${absDir}/${n}`;
        if (!this.created.has(rel.join('/'))) {
          await rm(p, { recursive: true, force: true });
          removed = true;
          continue;
        }
        const st = await lstat(p);
        if (st.isDirectory()) await walk(rel, p);
      }
    };
    await walk(dir, abs);
    if (removed) this.resolver.invalidate();
  }

  /**
   * Directory times last: creating their children changed them. Deepest first. Paths are resolved
   * again, confined, because a later entry may have replaced a parent with a symlink.
   */
  async finish(): Promise<void> {
    for (let i = this.dirTimes.length - 1; i >= 0; i--) {
      const d = this.dirTimes[i]!;
      let p = this.root;
      if (d.rel.length > 0) {
        const parent = await this.resolver.resolveDir(d.rel.slice(0, -1)).catch(() => null);
        if (!parent) continue;
        p = this.resolver.abs([...parent, d.rel.at(-1)!]);
        const st = await lstat(p).catch(() => null);
        if (!st?.isDirectory()) continue;
      }
      await lutimes(p, d.mtime, d.mtime);
    }
  }
}
