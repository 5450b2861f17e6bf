import { constants } from 'node:fs';
import { chmod, lchown, link, lstat, lutimes, mkdir, open, rm, symlink, type FileHandle } from 'node:fs/promises';
import type { Readable } from 'node:stream';
import { InvalidArgument } from '../../errdefs/index.js';
import { lsetxattr, mknod, S_IFBLK, S_IFCHR, S_IFIFO } from '../../sys/index.js';
import type { TarHeader } from '../../util/tar/index.js';
import { writeChunks } from '../../util/index.js';

export interface WriteResult {
  /** Whether a directory or symlink was removed to make room (resolutions must be refreshed). */
  replacedDirOrLink: boolean;
}

/** Removes what stands at `p` unless it is a directory and a directory is wanted (then it is kept and updated). */
async function clear(p: string, wantDir: boolean): Promise<{ keptDir: boolean; replacedDirOrLink: boolean }> {
  let st;
  try {
    st = await lstat(p);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { keptDir: false, replacedDirOrLink: false };
    throw e;
  }
  if (wantDir && st.isDirectory()) return { keptDir: true, replacedDirOrLink: false };
  await rm(p, { recursive: true, force: true });
  return { keptDir: false, replacedDirOrLink: st.isDirectory() || st.isSymbolicLink() };
}

/**
 * Creates one entry at `p`, whose parent is a real directory inside the root; `p` itself is never
 * followed. `hardlinkTarget` is the confined absolute path of a hardlink's target.
 */
export interface EntryOptions {
  /** A file an interrupted apply began: it holds this many bytes of the body; write the rest. */
  continueAt?: number;
  /** `body` starts at this byte of the entry's body (a read that started mid-archive); at most continueAt. */
  bodyFrom?: number;
  /** Hears how many bytes of a file's body are written so far. */
  onWritten?: (n: number) => void;
}

export async function writeEntry(p: string, h: TarHeader, body: Readable, hardlinkTarget?: string, opts: EntryOptions = {}): Promise<WriteResult> {
  const continueAt = opts.continueAt ?? 0;
  const bodyFrom = opts.bodyFrom ?? 0;
  if (bodyFrom > 0 && (h.type !== 'file' || continueAt < bodyFrom)) throw new InvalidArgument(`the unpack of ${JSON.stringify(h.name)} cannot continue: its first ${bodyFrom} bytes are neither here nor written`);
  const { keptDir, replacedDirOrLink } = continueAt > 0 ? { keptDir: false, replacedDirOrLink: false } : await clear(p, h.type === 'directory');
  switch (h.type) {
    case 'directory':
      if (!keptDir) await mkdir(p, 0o700);
      break;
    case 'file': {
      // O_EXCL|O_NOFOLLOW: the path was just cleared, so a symlink appearing here cannot redirect the write.
      // Continuing: truncated to what the earlier apply noted, then appended to.
      const flags = continueAt > 0 ? constants.O_WRONLY | constants.O_APPEND | constants.O_NOFOLLOW : constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW;
      const fh = await open(p, flags, 0o600);
      try {
        if (continueAt > 0) await seekTo(fh, p, continueAt);
        const rest = continueAt > bodyFrom ? skipBytes(body, continueAt - bodyFrom) : body;
        await writeChunks(fh, rest, undefined, opts.onWritten && ((n) => opts.onWritten?.(continueAt + n)));
      } finally {
        await fh.close();
      }
      break;
    }
    case 'symlink':
      await symlink(h.linkname ?? '', p);
      break;
    case 'hardlink':
      if (!hardlinkTarget) throw new InvalidArgument(`invalid tar entry ${JSON.stringify(h.name)}: hardlink without target`);
      await link(hardlinkTarget, p);
      return { replacedDirOrLink };
    case 'char':
      mknod(p, S_IFCHR | 0o600, h.devmajor ?? 0, h.devminor ?? 0);
      break;
    case 'block':
      mknod(p, S_IFBLK | 0o600, h.devmajor ?? 0, h.devminor ?? 0);
      break;
    case 'fifo':
      mknod(p, S_IFIFO | 0o600);
      break;
  }
  await lchown(p, h.uid, h.gid);
  for (const [k, v] of Object.entries(h.xattrs ?? {})) lsetxattr(p, k, v);
  // chmod after chown: chown clears setuid/setgid bits. Symlinks have no mode of their own on Linux.
  if (h.type !== 'symlink') await chmod(p, h.mode);
  if (h.type !== 'directory') await lutimes(p, h.mtime, h.mtime);
  return { replacedDirOrLink };
}

/**
 * Readies a file an interrupted apply began for the rest of its body: it must be a regular file
 * holding at least `at` bytes (more when the last write landed after the progress was noted).
 */
async function seekTo(fh: FileHandle, p: string, at: number): Promise<void> {
  const st = await fh.stat();
  if (!st.isFile() || st.size < at) throw new InvalidArgument(`the partly unpacked file ${p} does not match the unpack's progress record`);
  await fh.truncate(at);
}

/** The body without its first `n` bytes (written by the earlier apply). */
async function* skipBytes(body: AsyncIterable<Buffer>, n: number): AsyncGenerator<Buffer> {
  let left = n;
  for await (const c of body) {
    if (left >= c.length) {
      left -= c.length;
      continue;
    }
    yield left > 0 ? c.subarray(left) : c;
    left = 0;
  }
}
