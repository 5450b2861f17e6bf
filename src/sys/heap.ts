import { libcBinder } from './libc.js';

/*
 * glibc keeps the memory freed by a large operation (a pull's buffers, its worker threads' heaps)
 * in its free lists instead of giving it back: berthd's RSS stayed 60–120 MB above its start after
 * a 600 MB pull and rmi. malloc_trim(0) returns those pages to the system.
 */
const load = libcBinder<{ mallocTrim(pad: number): number }>({ mallocTrim: 'int malloc_trim(size_t pad)' });

/** Gives the C heap's free memory back to the system; false where malloc_trim is not available. */
export function trimHeap(): boolean {
  try {
    load().mallocTrim(0);
    return true;
  } catch {
    return false;
  }
}
