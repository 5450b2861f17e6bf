import { createRequire } from 'node:module';

/*
 * A log on a disk that fills up loses exactly the lines that explain why: a container's own "No
 * space left on device" is written after the disk is full. Blocks allocated past a file's end with
 * FALLOC_FL_KEEP_SIZE leave its size as it is, and appends that land in them need no free space.
 */
const FALLOC_FL_KEEP_SIZE = 1;
let fallocate: ((fd: number, mode: number, offset: number, len: number) => number) | null | undefined;

/**
 * Allocates `len` bytes of blocks from `offset` on without changing the file's size. false where
 * it could not (a filesystem without fallocate, or no room left for the blocks).
 */
export function reserveBeyondEnd(fd: number, offset: number, len: number): boolean {
  if (fallocate === undefined) {
    try {
      const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
      const f = koffi.load('libc.so.6').func('int fallocate(int fd, int mode, int64_t offset, int64_t len)');
      fallocate = (fd, mode, offset, len) => f(fd, mode, offset, len) as number;
    } catch {
      fallocate = null;
    }
  }
  if (!fallocate) return false;
  return fallocate(fd, FALLOC_FL_KEEP_SIZE, offset, len) === 0;
}
