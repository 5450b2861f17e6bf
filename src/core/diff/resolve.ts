import { lstat, mkdir, readlink } from 'node:fs/promises';
import { InvalidArgument } from '../../errdefs/index.js';

const MAX_LINKS = 255;

/**
 * Splits an entry name into clean components. A name that climbs above the root with '..' is a
 * breakout attempt and refused, as Docker does; absolute names were already made relative.
 */
export function cleanComponents(name: string): string[] {
  const out: string[] = [];
  for (const c of name.split('/')) {
    if (c === '' || c === '.') continue;
    if (c === '..') {
      if (out.length === 0) throw new InvalidArgument(`invalid tar entry ${JSON.stringify(name)}: path escapes the layer root`);
      out.pop();
    } else out.push(c);
  }
  return out;
}

function isNotFound(e: unknown): boolean {
  return (e as NodeJS.ErrnoException).code === 'ENOENT';
}

/**
 * Resolves directory components inside `root` the way a chroot would: every symlink met on the way
 * is followed with `root` as '/', and '..' stops at the root, so the result never leaves `root`.
 * The result contains only real directories. Missing directories are created (0755) when `create`
 * is given; each one is reported through `onCreate` (relative path).
 */
export class RootResolver {
  private cache = new Map<string, string[]>();

  constructor(readonly root: string) {}

  abs(rel: readonly string[]): string {
    return rel.length === 0 ? this.root : `${this.root}/${rel.join('/')}`;
  }

  /** Forget resolutions: call after anything that was a directory or symlink is removed or replaced. */
  invalidate(): void {
    this.cache.clear();
  }

  async resolveDir(components: readonly string[], create?: (rel: string) => void): Promise<string[]> {
    const key = components.join('/');
    const hit = this.cache.get(key);
    if (hit) return hit;
    const queue = [...components];
    let cur: string[] = [];
    let links = 0;
    while (queue.length > 0) {
      const c = queue.shift() as string;
      if (c === '' || c === '.') continue;
      if (c === '..') {
        cur.pop();
        continue;
      }
      const next = [...cur, c];
      const p = this.abs(next);
      let st;
      try {
        st = await lstat(p);
      } catch (e) {
        if (!isNotFound(e) || !create) throw e;
        await mkdir(p, 0o755);
        create(next.join('/'));
        cur = next;
        continue;
      }
      if (st.isSymbolicLink()) {
        if (++links > MAX_LINKS) throw new InvalidArgument(`cannot resolve ${JSON.stringify(key)}: too many levels of symbolic links`);
        const target = await readlink(p);
        if (target.startsWith('/')) cur = [];
        queue.unshift(...target.split('/'));
        continue;
      }
      if (!st.isDirectory()) throw new InvalidArgument(`cannot resolve ${JSON.stringify(key)}: ${JSON.stringify(next.join('/'))} is not a directory`);
      cur = next;
    }
    this.cache.set(key, cur);
    return cur;
  }
}
