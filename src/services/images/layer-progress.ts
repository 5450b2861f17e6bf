import type { ProgressSink } from './remote-deps.js';

/** At most this many byte counts a second per layer reach the client (Docker sends about ten). */
const EVERY_MS = 100;

/**
 * One layer's line of pull progress: statuses go out at once, byte counts (`Downloading`,
 * `Extracting`) at most every 100 ms, and always when they reach the total.
 */
export class LayerProgress {
  #last = 0;
  #lastStatus = '';

  constructor(
    readonly id: string,
    readonly total: number,
    private readonly sink: ProgressSink,
  ) {}

  status(status: string): void {
    this.#lastStatus = status;
    this.sink({ id: this.id, status });
  }

  bytes(status: string, current: number): void {
    const now = Date.now();
    if (status === this.#lastStatus && current < this.total && now - this.#last < EVERY_MS) return;
    this.#last = now;
    this.#lastStatus = status;
    this.sink({ id: this.id, status, current, total: this.total });
  }
}
