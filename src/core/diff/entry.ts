import { constants } from 'node:fs';
import { chmod, lchown, link, lstat, lutimes, mkdir, open, rm, symlink } from 'node:fs/promises';
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
export async function writeEntry(p: string, h: TarHeader, body: Readable, hardlinkTarget?: string): Promise<WriteResult> {
  const { keptDir, replacedDirOrLink } = await clear(p, h.type === 'directory');
  switch (h.type) {
    case 'directory':
      if (!keptDir) await mkdir(p, 0o700);
      break;
    case 'file': {
      // O_EXCL|O_NOFOLLOW: the path was just cleared, so a symlink appearing here cannot redirect the write.
      const fh = await open(p, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
      try {
        await writeChunks(fh, body);
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
