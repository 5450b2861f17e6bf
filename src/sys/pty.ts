import { closeSync, constants, openSync } from 'node:fs';
import { libcBinder } from './libc.js';
import { Unavailable } from '../errdefs/index.js';

/*
 * The pty calls Node lacks (posix_openpt, grantpt, unlockpt, ptsname_r, TIOCSWINSZ, dup),
 * through koffi. None of them blocks.
 */

const O_RDWR = 0o2;
const O_NOCTTY = 0o400;
const O_CLOEXEC = 0o2000000;
const TIOCSWINSZ = 0x5414;
const TCSANOW = 0;
/** glibc's struct termios is 60 bytes on Linux; a little room to spare. */
const TERMIOS_SIZE = 64;

interface Calls {
  posixOpenpt(flags: number): number;
  grantpt(fd: number): number;
  unlockpt(fd: number): number;
  ptsnameR(fd: number, buf: Buffer, len: number): number;
  ioctlWinsize(fd: number, ws: Buffer): number;
  dup(fd: number): number;
  close(fd: number): number;
  tcgetattr(fd: number, t: Buffer): number;
  tcsetattr(fd: number, when: number, t: Buffer): number;
  cfmakeraw(t: Buffer): void;
  errno(): number;
}

const bind = libcBinder<Omit<Calls, 'errno' | 'ioctlWinsize'> & { ioctl(fd: number, req: number, arg: Buffer): number }>({
  posixOpenpt: 'int posix_openpt(int flags)',
  grantpt: 'int grantpt(int fd)',
  unlockpt: 'int unlockpt(int fd)',
  ptsnameR: 'int ptsname_r(int fd, void *buf, size_t len)',
  ioctl: 'int ioctl(int fd, unsigned long req, void *arg)',
  dup: 'int dup(int fd)',
  close: 'int close(int fd)',
  tcgetattr: 'int tcgetattr(int fd, void *t)',
  tcsetattr: 'int tcsetattr(int fd, int when, void *t)',
  cfmakeraw: 'void cfmakeraw(void *t)',
});
let calls: Calls | undefined;

function load(): Calls {
  if (calls) return calls;
  const c = bind();
  calls = Object.assign(c, { ioctlWinsize: (fd: number, ws: Buffer) => c.ioctl(fd, TIOCSWINSZ, ws) });
  return calls;
}

/** A new pty pair: the master fd (close-on-exec) and the slave, opened without becoming our tty. */
export function openPtyPair(): { master: number; slave: number } {
  const c = load();
  const master = c.posixOpenpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
  if (master < 0) throw new Unavailable(`posix_openpt failed: errno ${c.errno()}`);
  try {
    const name = Buffer.alloc(128);
    if (c.grantpt(master) !== 0 || c.unlockpt(master) !== 0 || c.ptsnameR(master, name, name.length) !== 0) {
      throw new Unavailable(`cannot prepare the pty: errno ${c.errno()}`);
    }
    const path = name.subarray(0, name.indexOf(0)).toString();
    const slave = openSync(path, constants.O_RDWR | O_NOCTTY);
    // Raw from the start: the container's own console already turns \n into \r\n; a relay that
    // writes before the runtime has made this pty raw would get a second \r (a\r\r\n).
    const t = Buffer.alloc(TERMIOS_SIZE);
    if (c.tcgetattr(slave, t) === 0) {
      c.cfmakeraw(t);
      c.tcsetattr(slave, TCSANOW, t);
    }
    return { master, slave };
  } catch (e) {
    c.close(master);
    throw e;
  }
}

export function dupFd(fd: number): number {
  const c = load();
  const d = c.dup(fd);
  if (d < 0) throw new Unavailable(`dup failed: errno ${c.errno()}`);
  return d;
}

export function closeFd(fd: number): void {
  closeSync(fd);
}

/** Sets a pty's window size (TIOCSWINSZ). */
export function setWindowSize(fd: number, rows: number, cols: number): void {
  const ws = Buffer.alloc(8);
  ws.writeUInt16LE(Math.min(rows, 0xffff), 0);
  ws.writeUInt16LE(Math.min(cols, 0xffff), 2);
  load().ioctlWinsize(fd, ws);
}

