import { constants } from 'node:fs';
import { lstat, lutimes, open } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { cleanComponents, decompress, RootResolver, writeEntry } from '../../core/diff/index.js';
import { InvalidArgument } from '../../errdefs/index.js';
import { readTar, type TarHeader } from '../../util/tar/index.js';
import { writeChunks, type Owner } from '../../util/index.js';

export interface ExtractOptions {
  /** Refuse to replace a directory with a non-directory or the other way round. */
  noOverwriteDirNonDir: boolean;
  /** Every entry owned by this user instead of the archive's ids (copyUIDGID with a container user). */
  owner?: { uid: number; gid: number };
  /** The owner on disk for an entry's (e.g. a user namespace's ids shifted to the host's). */
  mapOwner?: (o: Owner) => Owner;
  /**
   * Files that are mount points (resolved components joined by '/', e.g. `etc/hosts`): a file entry
   * there is written into the mounted file, which cannot be replaced; anything else is refused.
   */
  filePoints?: ReadonlySet<string>;
  signal?: AbortSignal;
}

/**
 * Extracts a tar (plain, gzip or zstd) into directory `dest` (components already resolved inside
 * `root`). Entries are confined as in a layer: names are cleaned, '..' above the archive root is
 * refused, and every parent is resolved inside `root` with symlinks followed as under chroot, so a
 * symlink planted in the container can only lead back into the container. Whiteout names are plain
 * files here, as in Docker's copy.
 */
export async function extractInto(root: string, dest: string[], source: Readable | AsyncIterable<Uint8Array>, opts: ExtractOptions): Promise<void> {
  const { signal } = opts;
  const dec = await decompress(source, signal);
  const resolver = new RootResolver(root);
  const dirTimes: { rel: string[]; mtime: Date }[] = [];
  const it = dec.chunks[Symbol.asyncIterator]();
  // readTar stops at the end-of-archive blocks; keep the source open so the rest is drained after.
  const view: AsyncIterable<Buffer> = {
    [Symbol.asyncIterator]: () => ({ next: () => it.next(), return: async () => ({ done: true as const, value: undefined }) }),
  };
  try {
    for await (const e of readTar(view, signal ? { signal } : {})) {
      signal?.throwIfAborted();
      const comps = cleanComponents(e.header.name);
      const base = comps.at(-1);
      if (base === undefined) {
        e.body.resume();
        continue;
      }
      const parent = await resolver.resolveDir([...dest, ...comps.slice(0, -1)], () => undefined);
      const rel = [...parent, base];
      const target = resolver.abs(rel);
      const owner = opts.owner ?? { uid: e.header.uid, gid: e.header.gid };
      const h: TarHeader = opts.owner || opts.mapOwner ? { ...e.header, ...(opts.mapOwner ? opts.mapOwner(owner) : owner) } : e.header;
      if (opts.noOverwriteDirNonDir) await checkOverwrite(target, `/${rel.join('/')}`, h);
      if (opts.filePoints?.has(rel.join('/'))) {
        await writeMountedFile(target, `/${rel.join('/')}`, h, e.body);
        continue;
      }
      const link = h.type === 'hardlink' ? await hardlinkTarget(resolver, dest, h) : undefined;
      const res = await writeEntry(target, h, e.body, link);
      if (res.replacedDirOrLink) resolver.invalidate();
      if (h.type === 'directory') dirTimes.push({ rel, mtime: h.mtime });
    }
    for (;;) if ((await it.next()).done) break;
    await dec.done();
  } catch (e) {
    dec.destroy();
    throw e;
  }
  // Directory times last (their children changed them), deepest first, resolved again inside root.
  for (const d of dirTimes.reverse()) {
    const parent = await resolver.resolveDir(d.rel.slice(0, -1)).catch(() => null);
    if (!parent) continue;
    const p = resolver.abs([...parent, d.rel.at(-1) as string]);
    if ((await lstat(p).catch(() => null))?.isDirectory()) await lutimes(p, d.mtime, d.mtime);
  }
}

/** A file mounted over the container's (e.g. /etc/hosts) keeps its inode: truncated and rewritten, never replaced. */
async function writeMountedFile(target: string, ctrPath: string, h: TarHeader, body: Readable): Promise<void> {
  if (h.type !== 'file') throw new InvalidArgument(`cannot replace the mounted file "${ctrPath}" with a ${h.type}`);
  const fh = await open(target, constants.O_WRONLY | constants.O_TRUNC | constants.O_NOFOLLOW);
  try {
    await writeChunks(fh, body);
  } finally {
    await fh.close();
  }
}

async function checkOverwrite(target: string, ctrPath: string, h: TarHeader): Promise<void> {
  const st = await lstat(target).catch(() => null);
  if (!st) return;
  if (st.isDirectory() && h.type !== 'directory') throw new InvalidArgument(`cannot overwrite directory "${ctrPath}" with non-directory "${h.name}"`);
  if (!st.isDirectory() && h.type === 'directory') throw new InvalidArgument(`cannot overwrite non-directory "${ctrPath}" with directory "${h.name}"`);
}

/** A hardlink's target names an entry of the same archive, so it is resolved under `dest` too. */
async function hardlinkTarget(resolver: RootResolver, dest: string[], h: TarHeader): Promise<string> {
  const comps = cleanComponents(h.linkname ?? '');
  const base = comps.at(-1);
  if (base === undefined) throw new InvalidArgument(`invalid tar entry ${JSON.stringify(h.name)}: hardlink to the archive root`);
  const parent = await resolver.resolveDir([...dest, ...comps.slice(0, -1)]).catch(() => null);
  const p = parent ? resolver.abs([...parent, base]) : null;
  const st = p ? await lstat(p).catch(() => null) : null;
  if (!p || !st) throw new InvalidArgument(`invalid tar entry ${JSON.stringify(h.name)}: hardlink target ${JSON.stringify(h.linkname)} does not exist`);
  if (st.isDirectory()) throw new InvalidArgument(`invalid tar entry ${JSON.stringify(h.name)}: hardlink to a directory`);
  return p;
}
