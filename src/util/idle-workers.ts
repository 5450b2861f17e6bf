import { Worker } from 'node:worker_threads';

interface Idle {
  worker: Worker;
  timer: NodeJS.Timeout;
  drop: () => void;
}

/**
 * Worker threads of one script, kept for reuse after a job and ended after `idleMs` without one, so
 * that a burst of jobs pays each thread's start-up once and an idle process holds none. A worker
 * that failed is discarded, never reused.
 */
export class IdleWorkers {
  readonly #idle: Idle[] = [];

  constructor(
    readonly script: URL,
    readonly idleMs: number,
  ) {}

  take(): Worker {
    const idle = this.#idle.pop();
    if (idle) {
      clearTimeout(idle.timer);
      idle.worker.off('error', idle.drop);
      idle.worker.ref();
      return idle.worker;
    }
    return new Worker(this.script);
  }

  release(worker: Worker): void {
    const drop = (): void => {
      const i = this.#idle.indexOf(entry);
      if (i >= 0) this.#idle.splice(i, 1);
      clearTimeout(entry.timer);
      worker.off('error', drop);
      void worker.terminate();
    };
    const entry: Idle = { worker, timer: setTimeout(drop, this.idleMs), drop };
    entry.timer.unref();
    worker.unref();
    // An idle worker that fails is dropped; with a listener its failure cannot be the process's uncaught error.
    worker.on('error', drop);
    this.#idle.push(entry);
  }

  discard(worker: Worker): void {
    void worker.terminate();
  }
}
