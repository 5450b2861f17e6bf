import { access, mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { randomHex } from '../../util/index.js';
import { mountAll, unmountAll } from './mounts.js';

/** Options Docker also sets where the kernel knows them: no inode index, so lowers can be shared freely. */
export async function overlayExtraOptions(): Promise<string[]> {
  try {
    await access('/sys/module/overlay/parameters/index');
    return ['index=off'];
  } catch {
    return [];
  }
}

/** Whether an overlay mount works with upper and work dirs on `root`'s filesystem. */
export async function overlayWorks(root: string, extra: string[]): Promise<boolean> {
  const dir = join(root, 'tmp', `probe-${randomHex(6)}`);
  const merged = join(dir, 'merged');
  try {
    for (const d of ['lower', 'upper', 'work', 'merged']) await mkdir(join(dir, d), { recursive: true });
    const opts = [`lowerdir=${join(dir, 'lower')}`, `upperdir=${join(dir, 'upper')}`, `workdir=${join(dir, 'work')}`, ...extra];
    await mountAll([{ type: 'overlay', source: 'overlay', target: merged, options: opts }]);
    await unmountAll(merged);
    return true;
  } catch {
    return false;
  } finally {
    await unmountAll(merged).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  }
}
