import { createRequire } from 'node:module';

/*
 * glibc keeps the memory freed by a large operation (a pull's buffers, its worker threads' heaps)
 * in its free lists instead of giving it back: berthd's RSS stayed 60–120 MB above its start after
 * a 600 MB pull and rmi. malloc_trim(0) returns those pages to the system.
 */
let trim: ((pad: number) => number) | null | undefined;

/** Gives the C heap's free memory back to the system; false where malloc_trim is not available. */
export function trimHeap(): boolean {
  if (trim === undefined) {
    try {
      const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
      const f = koffi.load('libc.so.6').func('int malloc_trim(size_t pad)');
      trim = (pad) => f(pad) as number;
    } catch {
      trim = null;
    }
  }
  if (!trim) return false;
  trim(0);
  return true;
}
