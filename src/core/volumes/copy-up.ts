import { execFile } from 'node:child_process';
import { lstat, readdir } from 'node:fs/promises';
import { promisify } from 'node:util';
import { Unavailable } from '../../errdefs/index.js';
import { resolveInRoot } from './confine.js';

const run = promisify(execFile);

/**
 * Docker's copy-up: an empty volume mounted over a directory of the image starts with that
 * directory's content (files, owners, modes, links, xattrs) and the directory's own owner and mode.
 * Nothing happens when the volume already holds data or the image has no directory there.
 * Returns whether anything was copied.
 */
export async function copyUp(rootfs: string, containerPath: string, volumeDir: string, signal?: AbortSignal): Promise<boolean> {
  const src = await resolveInRoot(rootfs, containerPath);
  const st = await lstat(src).catch(() => undefined);
  if (!st?.isDirectory()) return false;
  if ((await readdir(volumeDir)).length > 0) return false;
  try {
    // cp -a never follows links inside the tree, and `src/.` onto the directory copies its attributes too.
    await run('cp', ['-a', '--', `${src}/.`, `${volumeDir}/`], signal ? { signal } : {});
  } catch (e) {
    throw new Unavailable(`copying the image's content at ${containerPath} into the volume failed: ${(e as { stderr?: string }).stderr?.trim() || (e as Error).message}`, { cause: e });
  }
  return true;
}
