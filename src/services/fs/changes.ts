import type { Stats } from 'node:fs';
import { lstat, readdir } from 'node:fs/promises';
import { diffDirectories, type Change } from '../../core/diff/index.js';
import { lgetxattr } from '../../sys/index.js';

/**
 * What berth (like runc) creates in every rootfs to run it: Docker keeps these in its hidden init
 * layer, so they never show in `docker diff` nor in a commit. berth has no init layer and leaves them
 * out here instead.
 */
const INIT_PATHS = new Set(['.dockerenv', 'dev', 'proc', 'sys', 'etc/hosts', 'etc/hostname', 'etc/resolv.conf', 'etc/mtab', 'dev/console', 'dev/pts', 'dev/shm']);
const INIT_PARENTS = new Set(['etc', 'dev']);

function byteOrder(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a), Buffer.from(b));
}

async function names(dir: string): Promise<string[]> {
  try {
    return (await readdir(dir)).sort(byteOrder);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return [];
    throw e;
  }
}

async function stat(p: string): Promise<Stats | null> {
  try {
    return await lstat(p);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return null;
    throw e;
  }
}

function isWhiteout(st: Stats): boolean {
  return st.isCharacterDevice() && st.rdev === 0;
}

function isOpaque(p: string): boolean {
  try {
    return lgetxattr(p, 'trusted.overlay.opaque')?.toString() === 'y';
  } catch {
    return false;
  }
}

function metaDiffers(a: Stats, b: Stats): boolean {
  return a.mode !== b.mode || a.uid !== b.uid || a.gid !== b.gid || a.mtimeMs !== b.mtimeMs;
}

/**
 * The changes an overlay upper dir holds, measured against the image's merged tree `lower`:
 * 0/0 character devices are deletions, opaque directories delete what the lower had beneath them,
 * an entry the lower lacks is an addition, anything else a modification.
 */
export async function overlayChanges(upper: string, lower: string | null, signal?: AbortSignal): Promise<Change[]> {
  const out: Change[] = [];
  const lowerStat = (rel: string): Promise<Stats | null> => (lower === null ? Promise.resolve(null) : stat(`${lower}/${rel}`));
  async function added(rel: string): Promise<void> {
    for (const n of await names(`${upper}/${rel}`)) {
      const r = `${rel}/${n}`;
      const st = await stat(`${upper}/${r}`);
      if (!st || isWhiteout(st)) continue;
      out.push({ kind: 'add', path: r });
      if (st.isDirectory()) await added(r);
    }
  }
  async function walk(rel: string): Promise<void> {
    signal?.throwIfAborted();
    const dir = rel === '' ? upper : `${upper}/${rel}`;
    for (const n of await names(dir)) {
      const r = rel === '' ? n : `${rel}/${n}`;
      const st = await stat(`${upper}/${r}`);
      if (!st) continue;
      const lo = await lowerStat(r);
      if (isWhiteout(st)) {
        if (lo) out.push({ kind: 'delete', path: r });
        continue;
      }
      if (!lo) {
        out.push({ kind: 'add', path: r });
        if (st.isDirectory()) await added(r);
        continue;
      }
      if (!st.isDirectory()) {
        out.push({ kind: 'modify', path: r });
        continue;
      }
      const opaque = isOpaque(`${upper}/${r}`);
      if (!lo.isDirectory() || opaque || metaDiffers(st, lo)) out.push({ kind: 'modify', path: r });
      if (!lo.isDirectory()) {
        await added(r);
        continue;
      }
      if (opaque && lower !== null) {
        const kept = new Set(await names(`${upper}/${r}`));
        for (const ln of await names(`${lower}/${r}`)) if (!kept.has(ln)) out.push({ kind: 'delete', path: `${r}/${ln}` });
      }
      await walk(r);
    }
  }
  await walk('');
  return out;
}

/** The changes between two full trees (the copy driver keeps the container's tree whole). */
export async function treeChanges(lower: string | null, upper: string, emptyDir: string, signal?: AbortSignal): Promise<Change[]> {
  const out: Change[] = [];
  for await (const c of diffDirectories(lower ?? emptyDir, upper, signal ? { signal } : {})) out.push(c);
  return out;
}

/**
 * Leaves out what the engine itself put into the rootfs (see INIT_PATHS), and the parent directories
 * that only changed because of it; sorts by path as Docker does.
 */
export function visibleChanges(changes: Change[]): Change[] {
  const kept = changes.filter((c) => !(c.kind !== 'delete' && INIT_PATHS.has(c.path)) && !(c.kind === 'add' && isUnderInit(c.path)));
  const result = kept.filter((c) => {
    if (c.kind !== 'modify' || !INIT_PARENTS.has(c.path)) return true;
    return kept.some((o) => o.path.startsWith(`${c.path}/`));
  });
  return result.sort((a, b) => byteOrder(a.path, b.path));
}

function isUnderInit(path: string): boolean {
  for (const p of ['dev/', 'proc/', 'sys/']) if (path.startsWith(p)) return true;
  return false;
}
