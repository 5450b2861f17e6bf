import { open } from 'node:fs/promises';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { Conflict, Unavailable } from '../../errdefs/index.js';
import { EAGAIN, SHUT_WR, closeSocket, connectSeqpacket, recvNonBlocking, sendNonBlocking, shutdownSocket } from '../../sys/index.js';

/** conmon reads at most 32 KiB - 1 per packet and drops the rest of a bigger one. */
const PACKET = 8192;
/** Linux's O_PATH: lets us name a long socket path through /proc/self/fd. */
const O_PATH = 0o10000000;

/**
 * A Writable into the container's stdin through conmon's attach socket. end() shuts the socket
 * down for writing; conmon then closes the container's stdin (EOF), as `docker run -i` does.
 *
 * conmon also copies the container's output into every attach socket, with blocking writes. We
 * read and discard that copy (output is served from the log) until conmon closes the socket, for
 * two reasons: an unread socket would stall conmon and so the container, and conmon 2.1.x frees
 * a socket it failed to write to and then uses it when our EOF arrives, leaving stdin open.
 */
export async function openStdinStream(socketPath: string, id: string): Promise<Writable> {
  let fd: number;
  // sun_path holds 107 bytes; bundle dirs under a data root can be longer.
  if (Buffer.byteLength(socketPath) > 100) {
    const slash = socketPath.lastIndexOf('/');
    const dir = await open(socketPath.slice(0, slash), O_PATH);
    try {
      fd = connectAttach(`/proc/self/fd/${dir.fd}/${socketPath.slice(slash + 1)}`, id);
    } finally {
      await dir.close();
    }
  } else fd = connectAttach(socketPath, id);

  let closed = false;
  const scratch = Buffer.alloc(64 * 1024);
  let timer: NodeJS.Timeout | null = null;
  const release = (): void => {
    if (closed) return;
    closed = true;
    if (timer) clearTimeout(timer);
    closeSocket(fd);
  };
  /** Discards what conmon sent; returns false once conmon closed its side. */
  const drainOnce = (): boolean => {
    for (;;) {
      const n = recvNonBlocking(fd, scratch);
      if (n > 0) continue;
      if (n === -EAGAIN) return true;
      return false;
    }
  };
  const drainLoop = (): void => {
    timer = null;
    if (closed) return;
    if (!drainOnce()) return release();
    timer = setTimeout(drainLoop, 20);
    // The drain must not keep berthd alive on its own.
    timer.unref();
  };
  drainLoop();

  const sendAll = async (chunk: Buffer): Promise<void> => {
    for (let off = 0; off < chunk.length; ) {
      if (closed) throw new Unavailable(`the stdin of container ${id} is closed`);
      const part = chunk.subarray(off, Math.min(off + PACKET, chunk.length));
      const n = sendNonBlocking(fd, part);
      if (n === -EAGAIN) {
        drainOnce();
        await sleep(2);
        continue;
      }
      if (n < 0) throw new Unavailable(`writing to the stdin of container ${id} failed: errno ${-n}`);
      off += n;
    }
  };

  return new Writable({
    write(chunk: Buffer, _enc, cb) {
      sendAll(chunk).then(
        () => cb(),
        (e: unknown) => cb(e as Error),
      );
    },
    final(cb) {
      if (!closed) shutdownSocket(fd, SHUT_WR);
      cb();
    },
    // After a clean end the drain loop keeps the socket until conmon closes it (the container
    // exited); after an error or an early destroy we let go at once.
    autoDestroy: false,
    destroy(err, cb) {
      if (err || !this.writableFinished) release();
      cb(err);
    },
  });
}

function connectAttach(path: string, id: string): number {
  const fd = connectSeqpacket(path);
  if (fd < 0) {
    throw new Conflict(
      `cannot attach to the stdin of container ${id}: it was not created with stdin open or is not running (errno ${-fd})`,
    );
  }
  return fd;
}
