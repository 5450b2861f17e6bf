import type { EventEmitter } from 'node:events';
import type { ContainerRecord, ContainerStore } from '../../core/metadata/index.js';

/** What the container service tells its in-process listeners (exec, attach, logs, wait). */
export type ContainerEvents = EventEmitter<{ exit: [id: string, code: number]; removed: [id: string]; start: [id: string] }>;

/**
 * Resolves with the code of the container's next exit or, with `untilRemoved`, once it is removed
 * (with the last exit code seen, the record's if none). It listens from the call on, so an exit the
 * caller causes right after is not missed. An abort of `signal` rejects.
 */
export function nextExit(events: ContainerEvents, rec: Pick<ContainerRecord, 'id' | 'state'>, opts: { untilRemoved?: boolean; signal?: AbortSignal | undefined } = {}): Promise<number> {
  const { id } = rec;
  const { signal } = opts;
  let lastCode = rec.state.exitCode;
  return new Promise((resolve, reject) => {
    const cleanup = (): void => {
      events.off('exit', onExit);
      events.off('removed', onRemoved);
      signal?.removeEventListener('abort', onAbort);
    };
    const onExit = (eid: string, code: number): void => {
      if (eid !== id) return;
      lastCode = code;
      if (opts.untilRemoved) return;
      cleanup();
      resolve(code);
    };
    const onRemoved = (rid: string): void => {
      if (rid !== id) return;
      cleanup();
      resolve(lastCode);
    };
    const onAbort = (): void => {
      cleanup();
      reject(signal?.reason instanceof Error ? signal.reason : new Error('wait aborted'));
    };
    events.on('exit', onExit);
    events.on('removed', onRemoved);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Resolves at the container's next exit or its removal, or when `signal` aborts (never rejects):
 * where a stream that follows a running container ends. Its listeners go with it.
 */
export function endOf(events: ContainerEvents, id: string, signal?: AbortSignal): Promise<void> {
  return new Promise<void>((resolve) => {
    const done = (eid?: string): void => {
      if (eid !== undefined && eid !== id) return;
      events.off('exit', done);
      events.off('removed', done);
      signal?.removeEventListener('abort', onAbort);
      resolve();
    };
    const onAbort = (): void => done();
    events.on('exit', done);
    events.on('removed', done);
    if (signal?.aborted) done();
    else signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Retries an exit the store refused (disk full) every second for ten minutes, unless the record moved on. */
export function recordExitLater(store: Pick<ContainerStore, 'get' | 'update'>, id: string, state: ContainerRecord['state']): void {
  let tries = 600;
  const timer = setInterval(() => {
    const now = store.get(id);
    if (!now || now.state.status !== 'running' || --tries <= 0) return clearInterval(timer);
    try {
      store.update({ ...now, state });
      clearInterval(timer);
    } catch {
      /* still no room: the next tick tries again */
    }
  }, 1000);
  timer.unref();
}
