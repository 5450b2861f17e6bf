import { libcBinder } from './libc.js';
import { Unavailable } from '../errdefs/index.js';

/*
 * conmon's attach socket is AF_UNIX SOCK_SEQPACKET, which Node's net module cannot open. These are
 * the few socket calls berth needs for it, through koffi. All calls are non-blocking (MSG_DONTWAIT),
 * so none of them can stall the event loop.
 */

const AF_UNIX = 1;
const SOCK_SEQPACKET = 5;
const SOCK_DGRAM = 2;
const SOCK_CLOEXEC = 0o2000000;
const MSG_DONTWAIT = 0x40;
const MSG_NOSIGNAL = 0x4000;
export const SHUT_WR = 1;
export const EAGAIN = 11;
const EINTR = 4;

interface SocketCalls {
  socket(domain: number, type: number, protocol: number): number;
  connect(fd: number, addr: Buffer, len: number): number;
  send(fd: number, buf: Buffer, len: number, flags: number): number;
  recv(fd: number, buf: Buffer, len: number, flags: number): number;
  shutdown(fd: number, how: number): number;
  close(fd: number): number;
  errno(): number;
}

const load = libcBinder<Omit<SocketCalls, 'errno'>>({
  socket: 'int socket(int domain, int type, int protocol)',
  connect: 'int connect(int fd, const void *addr, uint32_t len)',
  send: 'intptr_t send(int fd, const void *buf, size_t len, int flags)',
  recv: 'intptr_t recv(int fd, void *buf, size_t len, int flags)',
  shutdown: 'int shutdown(int fd, int how)',
  close: 'int close(int fd)',
});

function sockaddrUn(path: string): Buffer {
  const p = Buffer.from(path);
  if (p.length > 107) throw new Unavailable(`socket path too long: ${path}`);
  const b = Buffer.alloc(2 + 108);
  b.writeUInt16LE(AF_UNIX, 0);
  p.copy(b, 2);
  return b;
}

/** Connects a SOCK_SEQPACKET socket to `path`; returns the fd, or -errno when connect() fails. */
export function connectSeqpacket(path: string): number {
  return connectUnix(path, SOCK_SEQPACKET);
}

/** Connects a SOCK_DGRAM unix socket to `path` (syslog's /dev/log, the journal); the fd, or -errno. */
export function connectUnixDatagram(path: string): number {
  return connectUnix(path, SOCK_DGRAM);
}

function connectUnix(path: string, type: number): number {
  const c = load();
  const fd = c.socket(AF_UNIX, type | SOCK_CLOEXEC, 0);
  if (fd < 0) throw new Unavailable(`socket() failed with errno ${c.errno()}`);
  const addr = sockaddrUn(path);
  let rc: number;
  do rc = c.connect(fd, addr, addr.length);
  while (rc < 0 && c.errno() === EINTR);
  if (rc < 0) {
    const err = c.errno();
    c.close(fd);
    return -err;
  }
  return fd;
}

/** One non-blocking send: bytes sent, or -errno (e.g. -EAGAIN when the peer's queue is full). */
export function sendNonBlocking(fd: number, buf: Buffer): number {
  const c = load();
  const n = c.send(fd, buf, buf.length, MSG_DONTWAIT | MSG_NOSIGNAL);
  return n < 0 ? -c.errno() : n;
}

/** One non-blocking receive into `buf`: bytes read, 0 at EOF, or -errno. */
export function recvNonBlocking(fd: number, buf: Buffer): number {
  const c = load();
  const n = c.recv(fd, buf, buf.length, MSG_DONTWAIT);
  return n < 0 ? -c.errno() : n;
}

export function shutdownSocket(fd: number, how: number): void {
  load().shutdown(fd, how);
}

export function closeSocket(fd: number): void {
  load().close(fd);
}
