import type { ContainerRecord } from '../../core/metadata/index.js';

export const MIN_BACKOFF_MS = 100;
export const MAX_BACKOFF_MS = 60_000;
/** A container that ran this long before exiting starts its back-off again from the minimum. */
export const RESET_AFTER_MS = 10_000;

/** Docker's rule for whether an exit leads to an automatic restart. */
export function shouldRestart(rec: ContainerRecord, exitCode: number): boolean {
  if (rec.manuallyStopped) return false;
  const p = rec.spec.lifecycle.restartPolicy;
  switch (p.name) {
    case 'always':
    case 'unless-stopped':
      return true;
    case 'on-failure':
      return exitCode !== 0 && (p.maximumRetryCount <= 0 || rec.restartCount < p.maximumRetryCount);
    default:
      return false;
  }
}

/** Whether a container comes back when berthd starts (Docker's live-restore of policies). */
export function startsWithDaemon(rec: ContainerRecord): boolean {
  const p = rec.spec.lifecycle.restartPolicy.name;
  if (rec.state.status === 'restarting') return !rec.manuallyStopped;
  if (rec.state.status !== 'exited') return false;
  if (p === 'always') return true;
  return p === 'unless-stopped' && !rec.manuallyStopped;
}

/** Doubling back-off from 100 ms up to a minute, reset after a long enough run. */
export function nextBackoff(previousMs: number | undefined, ranForMs: number): number {
  if (previousMs === undefined || ranForMs >= RESET_AFTER_MS) return MIN_BACKOFF_MS;
  return Math.min(previousMs * 2, MAX_BACKOFF_MS);
}
