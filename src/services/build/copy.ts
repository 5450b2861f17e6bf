import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream, type Stats } from 'node:fs';
import { lstat, open, readdir, readlink } from 'node:fs/promises';
import { posix } from 'node:path';
import type { Readable } from 'node:stream';
import { cleanComponents, RootResolver } from '../../core/diff/index.js';
import { resolveInRoot } from '../../core/runtime/index.js';
import { InvalidArgument, NotFound } from '../../errdefs/index.js';
import { entryTypeOf, TarWriter, type TarHeader } from '../../util/tar/index.js';
import { extractInto } from '../fs/index.js';
import { Excluder, patternRegex } from './exclude.js';

/** One file or directory to copy: where it is on the host, and its name below the source. */
interface WalkEntry {
  abs: string;
  /** '' for the source itself. */
  rel: string;
  st: Stats;
}

export interface CopySource {
  /** The path as written (after expansion), for messages. */
  given: string;
  abs: string;
  isDir: boolean;
  /** A local tar archive that ADD unpacks instead of copying. */
  archive: boolean;
  entries: WalkEntry[];
  /** COPY --parents: the path kept under the destination (after a `./` pivot), '' when none. */
  keep?: string;
}

export interface CopyPlan {
  sources: CopySource[];
  /** file:<hex>, dir:<hex> or multi:<hex>, as Docker names COPY sources in history. */
  hash: string;
}

export interface CopyOptions {
  /** The files come from the build context (not another stage), so '..' out of it is refused. */
  fromContext: boolean;
  /** ADD: unpack local tar archives. */
  unpack: boolean;
  owner?: { uid: number; gid: number };
  /** --chown as written: part of the checksum (the ids are looked up in the target image later). */
  ownerKey?: string;
  chmod?: number;
  /** --exclude patterns: matched against the paths below a directory source, or a file's name. */
  exclude?: string[];
  /** COPY --parents: keep each source's parent directories under the destination. */
  parents?: boolean;
  signal?: AbortSignal;
}

const GLOB = /[*?[]/;

/** Go's filepath.Match as a regular expression: `*` and `?` never match '/'. */
function globRegex(pattern: string): RegExp {
  return patternRegex(pattern, { doubleStar: false });
}

async function walk(abs: string, rel: string, st: Stats, out: WalkEntry[], signal?: AbortSignal, skip?: Excluder): Promise<void> {
  signal?.throwIfAborted();
  if (skip?.excludes(rel)) return;
  out.push({ abs, rel, st });
  if (!st.isDirectory()) return;
  for (const n of (await readdir(abs)).sort()) {
    const p = `${abs}/${n}`;
    await walk(p, rel === '' ? n : `${rel}/${n}`, await lstat(p), out, signal, skip);
  }
}

/** --parents: the path a source keeps, from after its `./` pivot (if any), without the leading '/'. */
function keptPath(given: string, matched: string): string {
  const g = given.replace(/^\/+/, '');
  const pivot = g.indexOf('/./');
  if (pivot < 0) return posix.normalize(matched).replace(/^(\.\/)+/, '').replace(/^\.$/, '');
  const prefix = posix.normalize(g.slice(0, pivot));
  const m = posix.normalize(matched);
  return (m.startsWith(`${prefix}/`) ? m.slice(prefix.length + 1) : m).replace(/^\.$/, '');
}

async function allPaths(root: string, rel: string, out: string[]): Promise<void> {
  for (const n of (await readdir(rel === '' ? root : `${root}/${rel}`, { withFileTypes: true })).sort((a, b) => (a.name < b.name ? -1 : 1))) {
    const r = rel === '' ? n.name : `${rel}/${n.name}`;
    out.push(r);
    if (n.isDirectory()) await allPaths(root, r, out);
  }
}

/** Reads the first bytes of a (possibly compressed) file through the matching decompressor. */
function decompressor(head: Buffer): string[] | null {
  if (head[0] === 0x1f && head[1] === 0x8b) return ['gzip', '-dc'];
  if (head.subarray(0, 3).toString('latin1') === 'BZh') return ['bzip2', '-dc'];
  if (head.subarray(0, 6).equals(Buffer.from([0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00]))) return ['xz', '-dc'];
  if (head.subarray(0, 4).equals(Buffer.from([0x28, 0xb5, 0x2f, 0xfd]))) return ['zstd', '-dc'];
  return null;
}

async function readHead(path: string, n: number): Promise<Buffer> {
  const fh = await open(path, 'r');
  try {
    const b = Buffer.alloc(n);
    const { bytesRead } = await fh.read(b, 0, n, 0);
    return b.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** The file's bytes, decompressed when it is gzip/bzip2/xz/zstd (by the system's tools). */
function decompressed(path: string, tool: string[] | null): { stream: Readable; done: Promise<void> } {
  if (!tool) return { stream: createReadStream(path), done: Promise.resolve() };
  const child = spawn(tool[0] as string, tool.slice(1), { stdio: ['pipe', 'pipe', 'ignore'] });
  const input = createReadStream(path);
  input.pipe(child.stdin);
  // The reader may stop early (archive detection): the tool then sees EPIPE, which is expected.
  child.stdin.on('error', () => undefined);
  child.stdout.once('close', () => input.destroy());
  const done = new Promise<void>((resolve, reject) => {
    child.once('error', (e) => reject(new InvalidArgument(`cannot unpack ${posix.basename(path)}: ${e.message}`)));
    child.once('close', (code) => (code === 0 || code === null ? resolve() : reject(new InvalidArgument(`cannot unpack ${posix.basename(path)}: ${tool[0] as string} exited with ${code}`))));
  });
  return { stream: child.stdout, done };
}

/** Whether ADD should unpack this file: a tar, possibly compressed (Docker's archive detection). */
async function isArchive(path: string): Promise<boolean> {
  const head = await readHead(path, 512);
  const tool = decompressor(head);
  let block = head;
  if (tool) {
    const { stream } = decompressed(path, tool);
    const chunks: Buffer[] = [];
    let len = 0;
    for await (const c of stream as AsyncIterable<Buffer>) {
      chunks.push(c);
      len += c.length;
      if (len >= 512) break;
    }
    stream.destroy();
    block = Buffer.concat(chunks);
  }
  return block.length >= 262 && block.subarray(257, 262).toString('latin1') === 'ustar';
}

/**
 * Finds the sources of a COPY/ADD under `root` (the context, or another stage's rootfs): globs
 * matched like Go's filepath.Match, symlinks in the given path followed without leaving `root`,
 * and everything below walked now so that its checksum decides the cache.
 */
export async function planCopy(root: string, given: string[], opts: CopyOptions): Promise<CopyPlan> {
  const sources: CopySource[] = [];
  const what = opts.unpack ? 'ADD' : 'COPY';
  const skip = new Excluder(opts.exclude ?? []);
  for (const g of given) {
    if (/^[a-z][a-z0-9+.-]*:\/\//i.test(g)) {
      throw new InvalidArgument(`${what} failed: source can't be a URL for COPY: ${g} (ADD downloads URLs)`);
    }
    const clean = posix.normalize(g.startsWith('/') ? g.slice(1) || '.' : g);
    if (opts.fromContext && (clean === '..' || clean.startsWith('../'))) throw new InvalidArgument(`${what} failed: forbidden path outside the build context: ${g} ()`);
    let paths = [clean];
    if (GLOB.test(clean)) {
      const all: string[] = [];
      await allPaths(root, '', all);
      // --parents sources may use `**` (any number of directories), as BuildKit's include patterns do.
      const re = (opts.parents ? patternRegex : globRegex)(clean.replace(/^\.\//, '').replace('/./', '/'));
      paths = all.filter((p) => re.test(p));
      if (paths.length === 0) throw new NotFound(`${what} failed: no source files were specified`);
    }
    if (!skip.empty) {
      paths = paths.filter((p) => !skip.excludes(p.replace(/^(\.\/)+/, '')) && !skip.excludes(posix.basename(p)));
      if (paths.length === 0) throw new NotFound(`${what} failed: no source files were specified (all of ${g} is excluded)`);
    }
    for (const p of paths) {
      const abs = await resolveInRoot(root, p, opts.signal);
      const st = await lstat(abs).catch(() => null);
      if (!st) {
        throw new NotFound(
          opts.fromContext ? `${what} failed: file not found in build context or excluded by .dockerignore: stat ${g}: file does not exist` : `${what} failed: stat ${g}: file does not exist`,
        );
      }
      const entries: WalkEntry[] = [];
      await walk(abs, '', st, entries, opts.signal, skip);
      const archive = opts.unpack && st.isFile() && (await isArchive(abs));
      sources.push({ given: g, abs, isDir: st.isDirectory(), archive, entries, ...(opts.parents ? { keep: keptPath(g, p) } : {}) });
    }
  }
  const h = createHash('sha256');
  for (const s of sources) {
    h.update(`source ${s.archive ? 'archive' : ''} ${s.isDir ? '' : posix.basename(s.abs)}${s.keep !== undefined ? ` keep ${s.keep}` : ''}\0`);
    for (const e of s.entries) {
      const type = entryTypeOf(e.st) ?? 'file';
      const link = type === 'symlink' ? await readlink(e.abs) : '';
      h.update(`${e.rel}\0${type}\0${modeOf(e.st, opts)}\0${opts.ownerKey ?? '0:0'}\0${link}\0${e.st.isFile() ? e.st.size : 0}\0`);
      if (e.st.isFile()) for await (const c of createReadStream(e.abs) as AsyncIterable<Buffer>) h.update(c);
    }
  }
  const kind = sources.length === 1 ? (sources[0]?.isDir ? 'dir' : 'file') : 'multi';
  return { sources, hash: `${kind}:${h.digest('hex')}` };
}

function modeOf(st: Stats, opts: CopyOptions): number {
  return opts.chmod !== undefined ? opts.chmod : st.mode & 0o7777;
}

async function isDirIn(root: string, path: string): Promise<boolean> {
  return (await lstat(await resolveInRoot(root, path)).catch(() => null))?.isDirectory() ?? false;
}

/**
 * Writes the planned sources into `root` (a container's rootfs) at `dest` (absolute), as Docker's
 * COPY does: a directory's contents (not the directory itself), a file under its own name when the
 * destination is a directory (ends with '/', or exists as one), unpacked archives for ADD. Files get
 * uid/gid 0 or the --chown owner; every path is resolved inside `root`.
 */
/** Several plans (context files, here-documents, downloads) copied by one step. */
export function mergePlans(plans: CopyPlan[]): CopyPlan {
  if (plans.length === 1) return plans[0] as CopyPlan;
  const sources = plans.flatMap((p) => p.sources);
  const h = createHash('sha256');
  for (const p of plans) h.update(`${p.hash}\0`);
  const kind = sources.length === 1 ? (sources[0]?.isDir ? 'dir' : 'file') : 'multi';
  return { sources, hash: `${kind}:${h.digest('hex')}` };
}

export async function applyCopy(root: string, plan: CopyPlan, dest: string, opts: CopyOptions): Promise<void> {
  const what = opts.unpack ? 'ADD' : 'COPY';
  const many = plan.sources.length > 1 || plan.sources.some((s) => s.keep);
  if (plan.sources.length > 1 && !dest.endsWith('/')) throw new InvalidArgument(`When using ${what} with more than one source file, the destination must be a directory and end with a /`);
  const destComps = cleanComponents(dest);
  const destIsDir = dest.endsWith('/') || many || plan.sources.some((s) => s.isDir || s.archive) || (await isDirIn(root, dest));
  if (destIsDir) await new RootResolver(root).resolveDir(destComps, () => undefined);
  const owner = opts.owner ?? { uid: 0, gid: 0 };
  for (const s of plan.sources.filter((x) => x.archive)) {
    const tool = decompressor(await readHead(s.abs, 8));
    const d = decompressed(s.abs, tool);
    await extractInto(root, destComps, d.stream, { noOverwriteDirNonDir: false, ...(opts.owner ? { owner: opts.owner } : {}), ...(opts.signal ? { signal: opts.signal } : {}) });
    await d.done;
  }
  const w = new TarWriter();
  // Files hard-linked to each other in the context stay one file in the layer (as Docker's COPY
  // keeps them): the first name carries the bytes, the others link to it.
  const linked = new Map<string, string>();
  const produce = async (): Promise<void> => {
    for (const s of plan.sources.filter((x) => !x.archive)) {
      for (const e of s.entries) {
        if (s.isDir && e.rel === '' && !s.keep) continue;
        const kept = s.keep ? s.keep.split('/') : s.isDir ? [] : destIsDir ? [posix.basename(s.abs)] : [];
        const name = [...destComps, ...kept, ...(s.isDir && e.rel !== '' ? e.rel.split('/') : [])].join('/');
        const type = entryTypeOf(e.st);
        // Device nodes are not copied from a build context.
        if (type === null || type === 'char' || type === 'block') continue;
        const inode = e.st.isFile() && e.st.nlink > 1 ? `${e.st.dev}:${e.st.ino}` : undefined;
        const first = inode !== undefined ? linked.get(inode) : undefined;
        if (first !== undefined) {
          await w.add({ name, type: 'hardlink', linkname: first, size: 0, mode: modeOf(e.st, opts), uid: owner.uid, gid: owner.gid, mtime: e.st.mtime });
          continue;
        }
        if (inode !== undefined) linked.set(inode, name);
        const h: TarHeader = {
          name,
          type: type === 'hardlink' ? 'file' : type,
          size: e.st.isFile() ? e.st.size : 0,
          mode: modeOf(e.st, opts),
          uid: owner.uid,
          gid: owner.gid,
          mtime: e.st.mtime,
          ...(type === 'symlink' ? { linkname: await readlink(e.abs) } : {}),
        };
        await w.add(h, e.st.isFile() ? createReadStream(e.abs) : undefined);
      }
    }
    await w.finish();
  };
  const extract = extractInto(root, [], w.stream, { noOverwriteDirNonDir: false, ...(opts.signal ? { signal: opts.signal } : {}) });
  await Promise.all([
    produce().catch((e: unknown) => {
      w.stream.destroy(e instanceof Error ? e : undefined);
      throw e;
    }),
    extract.catch((e: unknown) => {
      w.stream.destroy();
      throw e;
    }),
  ]);
}
