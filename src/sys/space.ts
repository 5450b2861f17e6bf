import { libcBinder } from './libc.js';

/*
 * A log on a disk that fills up loses exactly the lines that explain why: a container's own "No
 * space left on device" is written after the disk is full. Blocks allocated past a file's end with
 * FALLOC_FL_KEEP_SIZE leave its size as it is, and appends that land in them need no free space.
 */
const FALLOC_FL_KEEP_SIZE = 1;
const load = libcBinder<{ fallocate(fd: number, mode: number, offset: number, len: number): number }>({
  fallocate: 'int fallocate(int fd, int mode, int64_t offset, int64_t len)',
});

/**
 * Allocates `len` bytes of blocks from `offset` on without changing the file's size. false where
 * it could not (a filesystem without fallocate, or no room left for the blocks).
 */
export function reserveBeyondEnd(fd: number, offset: number, len: number): boolean {
  try {
    return load().fallocate(fd, FALLOC_FL_KEEP_SIZE, offset, len) === 0;
  } catch {
    return false;
  }
}
