import type { EventBus } from '../../core/events/index.js';
import type { ContainerRecord } from '../../core/metadata/index.js';
import { Conflict, NotFound } from '../../errdefs/index.js';

/**
 * Removes every stopped container the caller's predicate does not keep, and tells what each one's
 * writable layer held (`sizeOf`, measured before removal). One that cannot go (started or removed
 * meanwhile) is skipped, as dockerd does.
 */
export async function pruneStopped(
  svc: { list(): ContainerRecord[]; remove(id: string): Promise<void> },
  bus: EventBus | undefined,
  keep: (c: ContainerRecord) => boolean,
  sizeOf: (c: ContainerRecord) => Promise<number>,
): Promise<{ deleted: string[]; spaceReclaimed: number }> {
  const deleted: string[] = [];
  let spaceReclaimed = 0;
  for (const c of svc.list()) {
    if (c.state.status !== 'exited' && c.state.status !== 'created' && c.state.status !== 'dead') continue;
    if (keep(c)) continue;
    const size = await sizeOf(c).catch(() => 0);
    try {
      await svc.remove(c.id);
    } catch (e) {
      if (e instanceof Conflict || e instanceof NotFound) continue;
      throw e;
    }
    deleted.push(c.id);
    spaceReclaimed += size;
  }
  bus?.publish('container', 'prune', '', { reclaimed: String(spaceReclaimed) });
  return { deleted, spaceReclaimed };
}
