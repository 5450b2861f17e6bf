import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ContainerRecord } from '../../core/metadata/index.js';
import { unmountShm } from '../../core/runtime/index.js';
import type { ContainerServiceDeps } from './service.js';

/**
 * What a removal takes, in order, once the container's process is gone: its runtime state, network
 * endpoints, rootfs mount and layer, folder, record, then its volumes (anonymous ones with `volumes`)
 * and the image layers it held. The record says 'removing' before anything goes, so that a berthd
 * killed half-way finishes the removal at its start (restore) rather than keeping a record whose
 * folder is gone.
 */
export async function destroy(
  deps: ContainerServiceDeps,
  rec: ContainerRecord,
  paths: { dir: string; rootfs: string },
  volumes: boolean,
  trace: { mark(step: string): void },
): Promise<void> {
  rec.state.status = 'removing';
  if (volumes) rec.state.removeVolumes = true;
  deps.store.update(rec);
  await deps.runtime.delete(rec.id, { force: true }).catch(() => undefined);
  trace.mark('runtime deleted');
  await deps.network?.tearDown(rec).catch((e: unknown) => deps.log(`network teardown ${rec.id}`, e));
  trace.mark('network down');
  await deps.rootfs.unmount(paths.rootfs).catch(() => undefined);
  unmountShm(join(paths.dir, 'shm'));
  await deps.rootfs.remove(rec.id);
  await rm(paths.dir, { recursive: true, force: true });
  trace.mark('files removed');
  deps.store.delete(rec.id);
  trace.mark('record deleted');
  await deps.mounts?.release(rec, volumes).catch((e: unknown) => deps.log(`volumes of ${rec.id}`, e));
  await deps.images.releaseLayers?.([...rec.layers]).catch((e: unknown) => deps.log(`layers of ${rec.id}`, e));
}
