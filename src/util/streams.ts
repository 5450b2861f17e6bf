import type { Writable } from 'node:stream';

/** Resolves when `s` can take more (drain) or is gone (close): a writer never waits on a peer that left. */
export function drainedOrClosed(s: Writable): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      s.off('drain', done);
      s.off('close', done);
      resolve();
    };
    s.once('drain', done);
    s.once('close', done);
  });
}
