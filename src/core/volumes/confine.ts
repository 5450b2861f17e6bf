import { lstat, readlink } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { InvalidArgument } from '../../errdefs/index.js';

const MAX_LINKS = 255;

/**
 * Resolves `path` as the container would see it inside `root`: symlinks are followed relative to
 * root, and `..` never climbs above it, so a link planted in an image can never point berth at a
 * host path. Components that do not exist are kept as they are. Returns a host path under root.
 */
export async function resolveInRoot(root: string, path: string): Promise<string> {
  let pending = posix.normalize(`/${path}`).split('/').filter((c) => c !== '' && c !== '.');
  const done: string[] = [];
  let links = 0;
  let missing = false;
  while (pending.length > 0) {
    const c = pending.shift() as string;
    if (c === '..') {
      done.pop();
      continue;
    }
    const host = join(root, ...done, c);
    // Below a missing component nothing can be a link: the rest is resolved by name alone.
    const st = missing ? undefined : await lstat(host).catch(() => undefined);
    if (!st?.isSymbolicLink()) {
      done.push(c);
      if (!st) missing = true;
      continue;
    }
    if (++links > MAX_LINKS) throw new InvalidArgument(`too many levels of symbolic links: ${path}`);
    const target = await readlink(host);
    const parts = target.split('/').filter((x) => x !== '' && x !== '.');
    if (target.startsWith('/')) done.length = 0;
    pending = [...parts, ...pending];
  }
  return join(root, ...done);
}
