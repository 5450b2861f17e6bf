import { mkdir } from 'node:fs/promises';
import { resolve } from 'node:path';
import { CopySnapshotter } from './copy.js';
import { OverlaySnapshotter } from './overlay.js';
import { overlayExtraOptions, overlayWorks } from './probe.js';
import type { Snapshotter } from './types.js';

export type { DriverName, Mount, Snapshotter } from './types.js';
export { mountAll, unmountAll, mountsUnder } from './mounts.js';
export { RemappedSnapshotter } from './remap.js';

/**
 * A snapshotter over `root` (layers/, containers/, l/, tmp/). 'auto' mounts a tiny overlay on
 * root's filesystem and falls back to 'copy' when that fails.
 */
export async function createSnapshotter(opts: { root: string; driver?: 'overlay' | 'copy' | 'auto' }): Promise<Snapshotter> {
  const root = resolve(opts.root);
  await mkdir(root, { recursive: true, mode: 0o711 });
  const driver = opts.driver ?? 'auto';
  if (driver === 'copy') return new CopySnapshotter(root);
  const extra = await overlayExtraOptions();
  if (driver === 'overlay' || (await overlayWorks(root, extra))) return new OverlaySnapshotter(root, extra);
  return new CopySnapshotter(root);
}
