import { constants, type Stats } from 'node:fs';
import { lstat, open, readlink } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { RootResolver } from '../../core/diff/index.js';
import { InvalidArgument, NotFound } from '../../errdefs/index.js';
import { readXattrs } from '../../sys/index.js';
import { devMajor, devMinor, entryTypeOf, packDirectory, TarWriter, type TarHeader } from '../../util/tar/index.js';
import type { Owner } from '../../util/index.js';

/** What a container path is: its name, size, POSIX st_mode (type and permission bits), times and link. */
export interface PathStat {
  name: string;
  size: number;
  mode: number;
  mtime: string;
  linkTarget: string;
}

/** A container path resolved inside a rootfs: `host` is always `root` or beneath it. */
export interface ResolvedPath {
  host: string;
  /** Components inside the rootfs after resolution. */
  rel: string[];
  stat: Stats;
  /** The name the archive's entries start with (Docker's rebase name). */
  base: string;
  /** The path as the client gave it, for messages. */
  given: string;
}

/** Cleans a container path as Go's filepath.Clean on "/"+path: '..' stops at the root. */
export function lexical(path: string): string[] {
  const out: string[] = [];
  for (const c of path.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') out.pop();
    else out.push(c);
  }
  return out;
}

/** Docker's base name for a path: a trailing '/.' keeps '.', the root is '/'. */
function baseName(path: string, comps: string[]): string {
  if (/(^|\/)\.$/.test(path) && comps.length > 0) return '.';
  return comps.at(-1) ?? '/';
}

function isMissing(e: unknown): boolean {
  const code = (e as NodeJS.ErrnoException).code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

/**
 * Resolves a container path inside `root` as a chroot would: every symlink on the way is followed
 * with `root` as '/'. The last component is not followed unless the path ends in '/' or '/.'.
 */
export async function resolveContainerPath(root: string, path: string, container: string): Promise<ResolvedPath> {
  const comps = lexical(path);
  const resolver = new RootResolver(root);
  const follow = /\/\.?$/.test(path);
  const notFound = (): NotFound => new NotFound(`Could not find the file ${path} in container ${container}`);
  let rel: string[];
  try {
    if (comps.length === 0 || follow) rel = await resolver.resolveDir(comps);
    else rel = [...(await resolver.resolveDir(comps.slice(0, -1))), comps.at(-1) as string];
  } catch (e) {
    if (isMissing(e)) throw notFound();
    if (e instanceof InvalidArgument && follow) throw new InvalidArgument(`not a directory: ${path}`, { cause: e });
    if (e instanceof InvalidArgument) throw notFound();
    throw e;
  }
  const host = resolver.abs(rel);
  const st = await lstat(host).catch((e: unknown) => {
    throw isMissing(e) ? notFound() : e;
  });
  return { host, rel, stat: st, base: baseName(path, comps), given: path };
}

/** Where a symlink leads, resolved inside the rootfs, as an absolute container path. */
async function linkTarget(root: string, rel: string[]): Promise<string> {
  const resolver = new RootResolver(root);
  let cur = rel;
  for (let hops = 0; hops < 255; hops++) {
    const target = await readlink(resolver.abs(cur));
    const comps = target.startsWith('/') ? lexical(target) : lexical([...cur.slice(0, -1), target].join('/'));
    const last = comps.at(-1);
    if (last === undefined) return '/';
    try {
      cur = [...(await resolver.resolveDir(comps.slice(0, -1))), last];
    } catch {
      return `/${comps.join('/')}`;
    }
    const st = await lstat(resolver.abs(cur)).catch(() => null);
    if (!st?.isSymbolicLink()) break;
  }
  return `/${cur.join('/')}`;
}

export async function statOf(root: string, r: ResolvedPath): Promise<PathStat> {
  return {
    name: r.base,
    size: r.stat.size,
    mode: r.stat.mode,
    mtime: r.stat.mtime.toISOString(),
    linkTarget: r.stat.isSymbolicLink() ? await linkTarget(root, r.rel) : '',
  };
}

/** A tar of the resolved path, its entries named from `r.base` on (a directory with everything beneath). */
export function archiveOf(r: ResolvedPath, signal?: AbortSignal, mapOwner?: (o: Owner) => Owner): Readable {
  const base = r.base === '/' ? '.' : r.base;
  if (r.stat.isDirectory()) return packDirectory(r.host, { prefix: base, xattrs: readXattrs, ...(signal ? { signal } : {}), ...(mapOwner ? { mapOwner } : {}) });
  const w = new TarWriter();
  void (async () => {
    const st = r.stat;
    const type = entryTypeOf(st);
    if (type === null) throw new InvalidArgument(`cannot archive ${r.given}: sockets cannot be copied`);
    const owner = mapOwner ? mapOwner({ uid: st.uid, gid: st.gid }) : { uid: st.uid, gid: st.gid };
    const h: TarHeader = { name: base, type, size: type === 'file' ? st.size : 0, mode: st.mode & 0o7777, ...owner, mtime: st.mtime };
    if (type === 'symlink') h.linkname = await readlink(r.host);
    if (type === 'char' || type === 'block') {
      h.devmajor = devMajor(st.rdev);
      h.devminor = devMinor(st.rdev);
    }
    const x = await readXattrs(r.host);
    if (Object.keys(x).length > 0) h.xattrs = x;
    if (type === 'file' && h.size > 0) {
      // O_NOFOLLOW: a file swapped for a symlink after resolution must not lead out of the rootfs.
      const fh = await open(r.host, constants.O_RDONLY | constants.O_NOFOLLOW);
      await w.add(h, fh.createReadStream({ highWaterMark: 256 * 1024, end: h.size - 1, ...(signal ? { signal } : {}) }));
    } else await w.add(h);
    await w.finish();
  })().catch((e: unknown) => w.abort(e instanceof Error ? e : new Error(String(e))));
  return w.stream;
}
