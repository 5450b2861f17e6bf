import { watch } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { ReadLogsOptions } from './logs.js';

/** How long a follower sleeps at most: what an inotify watch can miss (and `until`) is caught then. */
const POLL_MS = 250;

/**
 * What wakes a follower of a live log (conmon's or a driver's file): a change in the log's folder
 * under its name (the folder, not the file: a rotation puts a new file under the name), the
 * container's end (`stopWhen`), an abort, or POLL_MS passing.
 */
export class FollowWaker {
  /** Set once `stopWhen` has resolved: what is left is read, then the follow ends. */
  stopped = false;
  #wakeUp: (() => void) | null = null;
  readonly #watcher: ReturnType<typeof watch> | null;
  readonly #onAbort = (): void => this.#wake();

  constructor(path: string, private readonly opts: ReadLogsOptions) {
    const end = (): void => {
      this.stopped = true;
      this.#wake();
    };
    opts.stopWhen?.then(end, end);
    const base = basename(path);
    this.#watcher = (() => {
      try {
        return watch(dirname(path), { persistent: false }, (_event, name) => {
          if (name?.startsWith(base)) this.#wake();
        });
      } catch {
        return null;
      }
    })();
    this.#watcher?.on('error', () => undefined);
    opts.signal?.addEventListener('abort', this.#onAbort, { once: true });
  }

  /** Whether the follow is over: aborted, or past `until`. */
  get done(): boolean {
    return (this.opts.signal?.aborted ?? false) || (this.opts.until !== undefined && Date.now() > this.opts.until.getTime());
  }

  /** Resolves at the next wake-up. */
  async wait(): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.#wakeUp = resolve;
      timer = setTimeout(() => this.#wake(), POLL_MS);
    });
    clearTimeout(timer);
  }

  #wake(): void {
    const w = this.#wakeUp;
    this.#wakeUp = null;
    w?.();
  }

  close(): void {
    this.#watcher?.close();
    this.opts.signal?.removeEventListener('abort', this.#onAbort);
  }
}
