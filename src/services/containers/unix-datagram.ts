import { setTimeout as sleep } from 'node:timers/promises';
import { Unavailable } from '../../errdefs/index.js';
import { closeSocket, connectUnixDatagram, EAGAIN, sendNonBlocking } from '../../sys/index.js';

/** How long a send waits, in small steps, for a full datagram queue (a slow syslog or journal) before it drops the line. */
const FULL_QUEUE_WAIT_MS = 2000;

/**
 * A connected unix datagram socket (syslog's /dev/log, the systemd journal), which Node's dgram
 * module does not open: each line is one datagram, sent without blocking berthd's event loop.
 */
export class UnixDatagram {
  private constructor(
    readonly path: string,
    private fd: number,
  ) {}

  /** Connects; `what` names the destination in the error a missing socket gives. */
  static open(path: string, what: string): UnixDatagram {
    const fd = connectUnixDatagram(path);
    if (fd < 0) throw new Unavailable(`failed to initialize logging driver: cannot connect to ${what} at unixgram://${path} (errno ${String(-fd)})`);
    return new UnixDatagram(path, fd);
  }

  /** Sends one datagram; false when it was dropped (the queue stayed full, or the socket went away). */
  async send(buf: Buffer): Promise<boolean> {
    const until = Date.now() + FULL_QUEUE_WAIT_MS;
    for (;;) {
      if (this.fd < 0) return false;
      const n = sendNonBlocking(this.fd, buf);
      if (n >= 0) return true;
      if (n !== -EAGAIN || Date.now() > until) return false;
      await sleep(5);
    }
  }

  close(): void {
    if (this.fd >= 0) closeSocket(this.fd);
    this.fd = -1;
  }
}
