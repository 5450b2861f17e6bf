import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rm } from 'node:fs/promises';
import { dirname, join } from 'node:path';

/** Writes a file so that readers see the old content or the new, never a part: temp file, fsync, rename. */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o644): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${randomBytes(6).toString('hex')}.tmp`);
  const fh = await open(tmp, 'w', mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, path);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

export async function pathExists(path: string): Promise<boolean> {
  try {
    await (await import('node:fs/promises')).lstat(path);
    return true;
  } catch {
    return false;
  }
}

export function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}
