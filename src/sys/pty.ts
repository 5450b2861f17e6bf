import { closeSync, constants, openSync } from 'node:fs';
import { createRequire } from 'node:module';
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

let calls: Calls | undefined;

function load(): Calls {
  if (calls) return calls;
  const koffi = createRequire(import.meta.url)('koffi') as typeof import('koffi');
  const libc = koffi.load('libc.so.6');
  const posixOpenpt = libc.func('int posix_openpt(int flags)');
  const grantpt = libc.func('int grantpt(int fd)');
  const unlockpt = libc.func('int unlockpt(int fd)');
  const ptsnameR = libc.func('int ptsname_r(int fd, void *buf, size_t len)');
  const ioctl = libc.func('int ioctl(int fd, unsigned long req, void *arg)');
  const dup = libc.func('int dup(int fd)');
  const close = libc.func('int close(int fd)');
  const tcgetattr = libc.func('int tcgetattr(int fd, void *t)');
  const tcsetattr = libc.func('int tcsetattr(int fd, int when, void *t)');
  const cfmakeraw = libc.func('void cfmakeraw(void *t)');
  calls = {
    posixOpenpt: (f) => posixOpenpt(f) as number,
    grantpt: (fd) => grantpt(fd) as number,
    unlockpt: (fd) => unlockpt(fd) as number,
    ptsnameR: (fd, b, l) => ptsnameR(fd, b, l) as number,
    ioctlWinsize: (fd, ws) => ioctl(fd, TIOCSWINSZ, ws) as number,
    dup: (fd) => dup(fd) as number,
    close: (fd) => close(fd) as number,
    tcgetattr: (fd, t) => tcgetattr(fd, t) as number,
    tcsetattr: (fd, w, t) => tcsetattr(fd, w, t) as number,
    cfmakeraw: (t) => void cfmakeraw(t),
    errno: () => koffi.errno(),
  };
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

