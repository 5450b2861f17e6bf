import { constants, createReadStream } from 'node:fs';
import { chmod, link, lstat, lutimes, mkdir, open, readlink, rm, symlink } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { InvalidArgument } from '../../errdefs/index.js';
import { packDirectory, readTar, TarWriter, type TarHeader } from '../../util/tar/index.js';

/** Docker's SplitPathDirEntry: a trailing '/.' keeps '.' as the base. */
export function splitDirEntry(path: string): { dir: string; base: string } {
  let clean = path.replace(/\/+/g, '/');
  const dot = /(^|\/)\.$/.test(clean);
  clean = clean.replace(/\/\.$/, '').replace(/(.)\/$/, '$1');
  if (dot) return { dir: clean || '/', base: '.' };
  const i = clean.lastIndexOf('/');
  if (i < 0) return { dir: '.', base: clean };
  return { dir: i === 0 ? '/' : clean.slice(0, i), base: clean.slice(i + 1) || '/' };
}

/** Renames entries `srcBase[/…]` to `dstBase[/…]` (readTar has already turned './x' into 'x'). */
export function rebase(name: string, srcBase: string, dstBase: string): string {
  if (srcBase === '.' || srcBase === '/') return name === '' ? dstBase : `${dstBase}/${name}`;
  if (name === srcBase) return dstBase;
  if (name.startsWith(`${srcBase}/`)) return dstBase + name.slice(srcBase.length);
  return name;
}

function safeComponents(name: string): string[] {
  const comps = name.split('/').filter((c) => c !== '' && c !== '.');
  if (comps.includes('..')) throw new InvalidArgument(`invalid tar entry ${JSON.stringify(name)}: path escapes the destination`);
  return comps;
}

/** Refuses a parent path that runs through a symlink: an archive cannot write beside the destination. */
async function checkParents(dir: string, comps: string[]): Promise<void> {
  let p = dir;
  for (const c of comps.slice(0, -1)) {
    p = join(p, c);
    const st = await lstat(p).catch(() => null);
    if (!st) return;
    if (!st.isDirectory()) throw new InvalidArgument(`invalid tar entry: ${comps.join('/')} lies beyond a symbolic link or file`);
  }
}

/**
 * Extracts an archive from the engine into local `dir`, renaming its top entry as docker cp does.
 * Owners are not applied (like docker's CLI); modes and times are.
 */
export async function extractLocal(tar: Readable, dir: string, srcBase: string, dstBase: string | null): Promise<void> {
  const dirTimes: { p: string; mtime: Date }[] = [];
  for await (const e of readTar(tar)) {
    const h: TarHeader = e.header;
    const name = dstBase === null ? h.name : rebase(h.name, srcBase, dstBase);
    const comps = safeComponents(name);
    if (comps.length === 0) {
      e.body.resume();
      continue;
    }
    await checkParents(dir, comps);
    const p = join(dir, ...comps);
    await mkdir(dirname(p), { recursive: true });
    const cur = await lstat(p).catch(() => null);
    if (cur && !(cur.isDirectory() && h.type === 'directory')) await rm(p, { recursive: true, force: true });
    switch (h.type) {
      case 'directory':
        if (!cur?.isDirectory()) await mkdir(p, 0o700);
        dirTimes.push({ p, mtime: h.mtime });
        break;
      case 'file': {
        const fh = await open(p, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
        await pipeline(e.body, fh.createWriteStream());
        break;
      }
      case 'symlink':
        await symlink(h.linkname ?? '', p);
        break;
      case 'hardlink': {
        const target = safeComponents(dstBase === null ? (h.linkname ?? '') : rebase(h.linkname ?? '', srcBase, dstBase));
        await link(join(dir, ...target), p);
        break;
      }
      default:
        // Devices and FIFOs need privileges the CLI may lack; docker cp skips nothing, but cannot make them either.
        e.body.resume();
        continue;
    }
    if (h.type !== 'symlink') await chmod(p, h.mode & 0o7777);
    if (h.type !== 'directory') await lutimes(p, h.mtime, h.mtime);
  }
  for (const d of dirTimes.reverse()) await lutimes(d.p, d.mtime, d.mtime).catch(() => undefined);
}

/** A tar of a local path, its top entry named `name` (a directory with everything beneath). */
export async function packLocal(path: string, name: string, followLink: boolean): Promise<Readable> {
  const st = followLink ? await import('node:fs/promises').then((f) => f.stat(path)) : await lstat(path);
  if (st.isDirectory()) return packDirectory(path, { prefix: name });
  const w = new TarWriter();
  void (async () => {
    const h: TarHeader = { name, type: 'file', size: 0, mode: st.mode & 0o7777, uid: st.uid, gid: st.gid, mtime: st.mtime };
    if (st.isSymbolicLink()) {
      h.type = 'symlink';
      h.linkname = await readlink(path);
      await w.add(h);
    } else if (st.isFile()) {
      h.size = st.size;
      await w.add(h, st.size > 0 ? createReadStream(path, { end: st.size - 1 }) : undefined);
    } else throw new InvalidArgument(`cannot copy ${path}: not a regular file, directory or symbolic link`);
    await w.finish();
  })().catch((e: unknown) => w.abort(e instanceof Error ? e : new Error(String(e))));
  return w.stream;
}
