import type { ContainerServiceDeps } from './service.js';

/**
 * At berthd's start, what a kill cut short is settled before anything else: a start leaves a
 * created container with a namespace and endpoints (they go), a removal leaves a record marked
 * 'removing' (the removal is finished).
 */
export async function settleInterrupted(deps: ContainerServiceDeps, remove: (id: string, opts: { force: boolean; volumes: boolean }) => Promise<void>): Promise<void> {
  for (const rec of deps.store.list()) {
    if (rec.state.status !== 'created' || !deps.network) continue;
    await deps.network.tearDown(rec).then(() => deps.store.update(rec)).catch((e: unknown) => deps.log(`network of ${rec.id}`, e));
  }
  for (const rec of deps.store.list()) {
    if (rec.state.status !== 'removing') continue;
    await remove(rec.id, { force: true, volumes: rec.state.removeVolumes === true }).catch((e: unknown) => deps.log(`removal of ${rec.id}`, e));
  }
}
