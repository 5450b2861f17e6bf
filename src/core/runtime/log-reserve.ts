import { closeSync, fstatSync, openSync } from 'node:fs';
import { reserveBeyondEnd } from '../../sys/index.js';

/**
 * How much room a container's logs keep past their end, so that the lines a full disk provokes
 * (the container's own "No space left on device", berthd's note of it) still reach the log and
 * the attached client. Writes take it; the log's follower and the driver's writer top it up.
 */
export const LOG_RESERVE_BYTES = 64 * 1024;

/** Keeps LOG_RESERVE_BYTES allocated past the end of the log at `path` (made if missing); best effort. */
export function reserveLogTail(path: string): void {
  let fd: number;
  try {
    fd = openSync(path, 'a', 0o640);
  } catch {
    return;
  }
  try {
    reserveBeyondEnd(fd, fstatSync(fd).size, LOG_RESERVE_BYTES);
  } catch {
    // A log without a reserve is still a log.
  } finally {
    closeSync(fd);
  }
}

/** The reserve of a file berthd writes itself: topped up once half of it is taken. */
export class TailReserve {
  #at = Number.NEGATIVE_INFINITY;

  constructor(private readonly fd: number) {}

  /** Called with the file's size after a write (or at open). */
  ensure(size: number): void {
    if (size - this.#at < LOG_RESERVE_BYTES / 2) return;
    if (reserveBeyondEnd(this.fd, size, LOG_RESERVE_BYTES)) this.#at = size;
  }
}
