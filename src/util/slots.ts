/**
 * A counting semaphore served in order of arrival: at most `size` holders at once, the next in line
 * let in when one leaves. Docker's transfer manager bounds downloads and uploads this way across
 * all pulls and pushes of the daemon, not per operation.
 */
export class Slots {
  #free: number;
  readonly #queue: { grant: () => void }[] = [];

  constructor(readonly size: number) {
    this.#free = Math.max(1, Math.floor(size));
  }

  /** Holders waiting for a slot. */
  get waiting(): number {
    return this.#queue.length;
  }

  /**
   * Runs `fn` in a slot. `onWait` is called (once, synchronously) when no slot is free at the call;
   * an abort while waiting leaves the queue and rejects with the signal's reason.
   */
  async run<T>(fn: () => Promise<T>, opts: { onWait?: () => void; signal?: AbortSignal } = {}): Promise<T> {
    await this.#take(opts);
    try {
      return await fn();
    } finally {
      this.#give();
    }
  }

  #take(opts: { onWait?: () => void; signal?: AbortSignal }): Promise<void> {
    opts.signal?.throwIfAborted();
    if (this.#free > 0 && this.#queue.length === 0) {
      this.#free--;
      return Promise.resolve();
    }
    opts.onWait?.();
    return new Promise<void>((resolve, reject) => {
      const entry = {
        grant: (): void => {
          opts.signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const onAbort = (): void => {
        const i = this.#queue.indexOf(entry);
        if (i >= 0) this.#queue.splice(i, 1);
        reject(opts.signal?.reason instanceof Error ? opts.signal.reason : new Error('the operation was aborted'));
      };
      opts.signal?.addEventListener('abort', onAbort, { once: true });
      this.#queue.push(entry);
    });
  }

  #give(): void {
    const next = this.#queue.shift();
    if (next) next.grant();
    else this.#free++;
  }
}
