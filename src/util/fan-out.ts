import type { Writable } from 'node:stream';

/**
 * Copies every chunk of `source` into each of `outs`, pausing for the slowest (backpressure) and
 * awaiting only when one is full. An out that is destroyed midway is skipped from then on, so
 * one consumer giving up does not stop the others. A failing source destroys every out with its
 * error; the end of the source ends them. `onChunk` sees each chunk's length as it passes.
 */
export async function fanOut(source: AsyncIterable<Buffer>, outs: Writable[], onChunk?: (n: number) => void): Promise<void> {
  try {
    for await (const chunk of source) {
      onChunk?.(chunk.length);
      let full: Writable[] | undefined;
      for (const o of outs) {
        if (o.destroyed || o.writableEnded) continue;
        if (!o.write(chunk)) (full ??= []).push(o);
      }
      if (full) await Promise.all(full.map(drained));
    }
  } catch (e) {
    for (const o of outs) o.destroy(e as Error);
    throw e;
  }
  for (const o of outs) if (!o.destroyed && !o.writableEnded) o.end();
}

function drained(o: Writable): Promise<void> {
  if (o.destroyed) return Promise.resolve();
  return new Promise((resolve) => {
    const done = (): void => {
      o.off('drain', done);
      o.off('close', done);
      resolve();
    };
    o.on('drain', done);
    o.on('close', done);
  });
}
