import { mkdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { CopySnapshotter } from './copy.js';
import { OverlaySnapshotter } from './overlay.js';
import { overlayExtraOptions, overlayWorks } from './probe.js';
import { ProjectQuotas } from './quota.js';
import type { Snapshotter } from './types.js';

export type { DriverName, Mount, PrepareOptions, Snapshotter } from './types.js';
export { NO_PROJECT_QUOTA } from './quota.js';
export { OverlaySnapshotter } from './overlay.js';
export { mountAll, unmountAll, mountsUnder } from './mounts.js';
export { RemappedSnapshotter } from './remap.js';

/**
 * A snapshotter over `root` (layers/, containers/, l/, tmp/). 'auto' mounts a tiny overlay on
 * root's filesystem and falls back to 'copy' when that fails. What a killed berthd left half made
 * in tmp/ is removed: call this once, at start-up, before any layer is being made.
 */
export async function createSnapshotter(opts: { root: string; driver?: 'overlay' | 'copy' | 'auto' }): Promise<Snapshotter> {
  const root = resolve(opts.root);
  await mkdir(root, { recursive: true, mode: 0o711 });
  const driver = opts.driver ?? 'auto';
  const extra = driver === 'copy' ? [] : await overlayExtraOptions();
  const overlay = driver === 'overlay' || (driver === 'auto' && (await overlayWorks(root, extra)));
  // Project quotas are looked for at start, as dockerd's overlay2 does: size limits are offered only where they hold.
  const s = overlay ? new OverlaySnapshotter(root, extra, ProjectQuotas.open(root, join(root, 'containers'))) : new CopySnapshotter(root);
  await s.removeLeftovers();
  return s;
}
