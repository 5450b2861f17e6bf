import { createReadStream } from 'node:fs';
import { lstat, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { Internal } from '../../errdefs/index.js';
import type { Owner } from '../idmap.js';
import type { TarEntryType, TarHeader } from './types.js';
import { TarWriter } from './writer.js';

/** Reads a path's extended attributes without following symlinks (sys/ provides one: `readXattrs`). */
export type XattrReader = (path: string) => Promise<Record<string, Buffer>>;

export interface PackOptions {
  signal?: AbortSignal;
  /** Names every entry `<prefix>/<rel>` and adds the root itself as `<prefix>`; without it the root is not an entry. */
  prefix?: string;
  /**
   * Where extended attributes come from. util/ may not use FFI (only sys/ does), so the caller
   * injects sys's reader; without one no xattrs are written.
   */
  xattrs?: XattrReader;
  /** The owner an entry gets from the file's (e.g. host ids back to a user namespace's own). */
  mapOwner?: (o: Owner) => Owner;
}

/** The tar entry type of a file by its lstat; null for what tar does not carry (sockets, as in Docker). */
export function entryTypeOf(st: import('node:fs').Stats | import('node:fs').BigIntStats): TarEntryType | null {
  if (st.isFile()) return 'file';
  if (st.isDirectory()) return 'directory';
  if (st.isSymbolicLink()) return 'symlink';
  if (st.isCharacterDevice()) return 'char';
  if (st.isBlockDevice()) return 'block';
  if (st.isFIFO()) return 'fifo';
  return null; // sockets are not archived, as in Docker
}

export function devMajor(rdev: number): number {
  return ((rdev >>> 8) & 0xfff) | (Math.floor(rdev / 2 ** 32) & ~0xfff);
}
export function devMinor(rdev: number): number {
  return (rdev & 0xff) | ((rdev >>> 12) & 0xfff00);
}

/**
 * A tar of a directory tree: lstat, names sorted bytewise, hardlinks as hardlink entries, devices,
 * FIFOs and symlinks kept, xattrs when a reader is given. Errors surface as a stream error.
 */
export function packDirectory(dir: string, opts: PackOptions = {}): Readable {
  const w = new TarWriter();
  const seen = new Map<string, string>();
  const prefix = opts.prefix ? opts.prefix.replace(/^\/+|\/+$/g, '') : '';

  const addPath = async (abs: string, rel: string): Promise<boolean> => {
    opts.signal?.throwIfAborted();
    const st = await lstat(abs);
    const type = entryTypeOf(st);
    if (!type) return false;
    const name = prefix ? (rel ? `${prefix}/${rel}` : prefix) : rel;
    const h: TarHeader = {
      name,
      type,
      size: 0,
      mode: st.mode & 0o7777,
      ...(opts.mapOwner ? opts.mapOwner({ uid: st.uid, gid: st.gid }) : { uid: st.uid, gid: st.gid }),
      mtime: st.mtime,
    };
    if (type === 'file' && st.nlink > 1) {
      const key = `${st.dev}:${st.ino}`;
      const first = seen.get(key);
      if (first !== undefined) {
        h.type = 'hardlink';
        h.linkname = first;
      } else seen.set(key, name);
    }
    if (h.type === 'file') h.size = st.size;
    if (type === 'symlink') h.linkname = await readlink(abs);
    if (type === 'char' || type === 'block') {
      h.devmajor = devMajor(st.rdev);
      h.devminor = devMinor(st.rdev);
    }
    if (opts.xattrs) {
      const x = await opts.xattrs(abs);
      if (Object.keys(x).length > 0) h.xattrs = x;
    }
    if (h.type === 'file' && h.size > 0) {
      await w.add(h, createReadStream(abs, { highWaterMark: 256 * 1024, ...(opts.signal ? { signal: opts.signal } : {}) }));
    } else await w.add(h);
    return type === 'directory';
  };

  const walk = async (abs: string, rel: string): Promise<void> => {
    const names = (await readdir(abs)).sort((a, b) => Buffer.compare(Buffer.from(a), Buffer.from(b)));
    for (const n of names) {
      const childAbs = join(abs, n);
      const childRel = rel ? `${rel}/${n}` : n;
      if (await addPath(childAbs, childRel)) await walk(childAbs, childRel);
    }
  };

  (async () => {
    if (prefix) await addPath(dir, '');
    await walk(dir, '');
    await w.finish();
  })().catch((e: unknown) => w.abort(e instanceof Error ? e : new Internal(String(e))));
  return w.stream;
}
