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

/**
 * Reads at least `bytes` of the source (less when it ends first) to look at, then yields the whole
 * source again from its first byte.
 */
export async function peek(source: AsyncIterable<Uint8Array>, bytes: number): Promise<{ head: Buffer; rest: AsyncIterable<Buffer> }> {
  const it = source[Symbol.asyncIterator]();
  const first: Buffer[] = [];
  let len = 0;
  let ended = false;
  while (len < bytes) {
    const r = await it.next();
    if (r.done) {
      ended = true;
      break;
    }
    const b = Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength);
    first.push(b);
    len += b.length;
  }
  const head = Buffer.concat(first);
  async function* rest(): AsyncGenerator<Buffer> {
    try {
      if (head.length > 0) yield head;
      if (ended) return;
      for (;;) {
        const r = await it.next();
        if (r.done) return;
        yield Buffer.from(r.value.buffer, r.value.byteOffset, r.value.byteLength);
      }
    } finally {
      await it.return?.();
    }
  }
  return { head, rest: rest() };
}
