import { createReadStream, type BigIntStats } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { Readable } from 'node:stream';
import { Internal } from '../../errdefs/index.js';
import { readXattrs } from '../../sys/index.js';
import { devMajor, devMinor, entryTypeOf, TarWriter, type TarHeader } from '../../util/tar/index.js';
import type { Owner } from '../../util/index.js';

/** Docker's change kinds (`docker diff` prints them as C, A, D). */
export type ChangeKind = 'modify' | 'add' | 'delete';
export interface Change {
  kind: ChangeKind;
  /** Relative to the compared roots, no leading '/'. */
  path: string;
}

async function names(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw e;
  }
}

async function stat(p: string): Promise<BigIntStats | null> {
  try {
    return await lstat(p, { bigint: true });
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw e;
  }
}

/** Docker's test: type, mode, owner, device, size (not for dirs), mtime (ns), symlink target. */
async function differs(a: BigIntStats, b: BigIntStats, pa: string, pb: string): Promise<boolean> {
  if (a.mode !== b.mode || a.uid !== b.uid || a.gid !== b.gid || a.rdev !== b.rdev) return true;
  if (!a.isDirectory() && a.size !== b.size) return true;
  if (a.mtimeNs !== b.mtimeNs) return true;
  if (a.isSymbolicLink()) return (await readlink(pa)) !== (await readlink(pb));
  return false;
}

/**
 * What changed from `lower` to `upper`, two full trees (e.g. an image's merged layers and a
 * container's rootfs). Depth-first with sorted names, so a directory comes before its contents; a
 * deleted directory is one 'delete', an added one is an 'add' followed by its contents.
 */
export async function* diffDirectories(lower: string, upper: string, opts: { signal?: AbortSignal } = {}): AsyncGenerator<Change> {
  async function* allAdded(rel: string): AsyncGenerator<Change> {
    for (const n of await names(`${upper}/${rel}`)) {
      const r = `${rel}/${n}`;
      yield { kind: 'add', path: r };
      if ((await stat(`${upper}/${r}`))?.isDirectory()) yield* allAdded(r);
    }
  }
  async function* walk(rel: string): AsyncGenerator<Change> {
    opts.signal?.throwIfAborted();
    const lo = await names(rel ? `${lower}/${rel}` : lower);
    const up = await names(rel ? `${upper}/${rel}` : upper);
    const all = [...new Set([...lo, ...up])].sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    const inLower = new Set(lo);
    const inUpper = new Set(up);
    for (const n of all) {
      const r = rel ? `${rel}/${n}` : n;
      if (!inUpper.has(n)) {
        yield { kind: 'delete', path: r };
        continue;
      }
      const b = await stat(`${upper}/${r}`);
      if (!b) continue;
      if (!inLower.has(n)) {
        yield { kind: 'add', path: r };
        if (b.isDirectory()) yield* allAdded(r);
        continue;
      }
      const a = await stat(`${lower}/${r}`);
      if (!a) continue;
      if (await differs(a, b, `${lower}/${r}`, `${upper}/${r}`)) yield { kind: 'modify', path: r };
      if (b.isDirectory()) {
        if (a.isDirectory()) yield* walk(r);
        else yield* allAdded(r);
      }
    }
  }
  yield* walk('');
}

/**
 * A layer tar of `changes` read from `upper`: added and modified paths as entries (with xattrs,
 * hardlinks among them kept), deleted ones as OCI whiteouts ('.wh.NAME').
 */
export function exportChanges(
  upper: string,
  changes: AsyncIterable<Change> | Iterable<Change>,
  opts: { signal?: AbortSignal; mapOwner?: (o: Owner) => Owner } = {},
): Readable {
  const w = new TarWriter();
  const inodes = new Map<string, string>();
  (async () => {
    for await (const c of changes) {
      opts.signal?.throwIfAborted();
      const slash = c.path.lastIndexOf('/');
      if (c.kind === 'delete') {
        const wh = slash === -1 ? `.wh.${c.path}` : `${c.path.slice(0, slash)}/.wh.${c.path.slice(slash + 1)}`;
        await w.add({ name: wh, type: 'file', size: 0, mode: 0o644, uid: 0, gid: 0, mtime: new Date(0) });
        continue;
      }
      const p = `${upper}/${c.path}`;
      const st = await stat(p);
      const type = st && entryTypeOf(st);
      if (!st || !type) continue; // vanished meanwhile, or a socket
      const owner = { uid: Number(st.uid), gid: Number(st.gid) };
      const h: TarHeader = { name: c.path, type, size: 0, mode: Number(st.mode) & 0o7777, ...(opts.mapOwner ? opts.mapOwner(owner) : owner), mtime: st.mtime };
      if (type === 'file' && st.nlink > 1n) {
        const key = `${st.dev}:${st.ino}`;
        const first = inodes.get(key);
        if (first !== undefined) {
          h.type = 'hardlink';
          h.linkname = first;
        } else inodes.set(key, c.path);
      }
      if (type === 'symlink') h.linkname = await readlink(p);
      if (type === 'char' || type === 'block') {
        h.devmajor = devMajor(Number(st.rdev));
        h.devminor = devMinor(Number(st.rdev));
      }
      const x = await readXattrs(p);
      if (Object.keys(x).length > 0) h.xattrs = x;
      if (h.type === 'file') {
        h.size = Number(st.size);
        await w.add(h, h.size > 0 ? createReadStream(p, { highWaterMark: 256 * 1024 }) : undefined);
      } else await w.add(h);
    }
    await w.finish();
  })().catch((e: unknown) => w.abort(e instanceof Error ? e : new Internal(String(e))));
  return w.stream;
}
