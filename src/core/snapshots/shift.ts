import { chmod, lchown, lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { lgetxattr, lsetxattr } from '../../sys/index.js';
import type { Owner } from '../../util/index.js';

/** chown drops file capabilities; they are put back after the new owner is set. */
const CAPS_XATTR = 'security.capability';

/**
 * Gives every entry of the tree at `dir` (the root included) the owner `map` returns for its
 * current one, keeping setuid/setgid bits and file capabilities, which chown would clear.
 * Hard links are seen twice and chowned once.
 */
export async function shiftOwnership(dir: string, map: (o: Owner) => Owner, signal?: AbortSignal): Promise<void> {
  const seen = new Set<string>();
  const visit = async (p: string): Promise<void> => {
    signal?.throwIfAborted();
    const st = await lstat(p);
    const key = `${st.dev}:${st.ino}`;
    if (st.nlink > 1 && !st.isDirectory()) {
      if (seen.has(key)) return;
      seen.add(key);
    }
    const to = map({ uid: st.uid, gid: st.gid });
    if (to.uid !== st.uid || to.gid !== st.gid) {
      const caps = st.isFile() ? lgetxattr(p, CAPS_XATTR) : undefined;
      await lchown(p, to.uid, to.gid);
      if (!st.isSymbolicLink() && st.mode & 0o6000) await chmod(p, st.mode & 0o7777);
      if (caps) lsetxattr(p, CAPS_XATTR, caps);
    }
    if (st.isDirectory()) for (const n of await readdir(p)) await visit(join(p, n));
  };
  await visit(dir);
}
