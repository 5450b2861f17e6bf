import { lstat, readdir } from 'node:fs/promises';
import { join } from 'node:path';

export interface TreeUsage {
  /** Bytes the files take on disk (allocated blocks, as du counts them). */
  bytes: number;
  inodes: number;
}

/**
 * What the trees under `roots` take on their filesystem, each inode counted once (layers share
 * files through hard links). A root that does not exist counts nothing; a file that vanishes while
 * it is walked (a layer being removed) is passed over.
 */
export async function treeUsage(roots: string[], signal?: AbortSignal): Promise<TreeUsage> {
  const seen = new Set<string>();
  let bytes = 0;
  const visit = async (path: string): Promise<void> => {
    signal?.throwIfAborted();
    const st = await lstat(path, { bigint: true }).catch(() => undefined);
    if (!st) return;
    const key = `${st.dev}:${st.ino}`;
    if (seen.has(key)) return;
    seen.add(key);
    bytes += Number(st.blocks) * 512;
    if (!st.isDirectory()) return;
    const names = await readdir(path).catch(() => [] as string[]);
    // A bounded fan-out: wide directories (blobs/sha256) are walked a batch at a time.
    for (let i = 0; i < names.length; i += 64) await Promise.all(names.slice(i, i + 64).map((n) => visit(join(path, n))));
  };
  for (const r of roots) await visit(r);
  return { bytes, inodes: seen.size };
}
