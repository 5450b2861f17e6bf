import { closeSync, openSync, writeFileSync } from 'node:fs';
import { Internal, type BerthError } from '../errdefs/index.js';
import { MS_BIND, mount } from './mount.js';
import { libcBinder, sysError } from './libc.js';

/*
 * rtnetlink (NETLINK_ROUTE) sockets, in berthd's network namespace or in a container's, and new
 * network, UTS and IPC namespaces, through koffi. A netlink socket stays bound to the namespace it was made in,
 * so a socket for a container's namespace is made by entering it (setns) for the one socket() call
 * and leaving it at once: all in one synchronous turn of the event loop, on the main thread, so no
 * other code of berthd ever runs inside. The kernel answers a route request inside the send call,
 * so reads never wait (MSG_DONTWAIT).
 */

const AF_NETLINK = 16;
const SOCK_RAW = 3;
const SOCK_CLOEXEC = 0o2000000;
const NETLINK_ROUTE = 0;
const MSG_DONTWAIT = 0x40;
const CLONE_NEWNET = 0x40000000;
const CLONE_NEWUTS = 0x04000000;
const CLONE_NEWIPC = 0x08000000;
const EAGAIN = 11;
const EINTR = 4;

interface Calls {
  socket(domain: number, type: number, protocol: number): number;
  sendto(fd: number, buf: Buffer, len: number, flags: number, addr: Buffer, alen: number): number;
  recv(fd: number, buf: Buffer, len: number, flags: number): number;
  close(fd: number): number;
  setns(fd: number, nstype: number): number;
  unshare(flags: number): number;
  sethostname(name: Buffer, len: number): number;
  errno(): number;
}

const load = libcBinder<Omit<Calls, 'errno'>>({
  socket: 'int socket(int domain, int type, int protocol)',
  sendto: 'intptr_t sendto(int fd, const void *buf, size_t len, int flags, const void *addr, uint32_t alen)',
  recv: 'intptr_t recv(int fd, void *buf, size_t len, int flags)',
  close: 'int close(int fd)',
  setns: 'int setns(int fd, int nstype)',
  unshare: 'int unshare(int flags)',
  sethostname: 'int sethostname(const char *name, size_t len)',
});

/** berthd's own network namespace, opened once (the first call is made from it). */
let homeFd: number | undefined;
function home(): number {
  homeFd ??= openSync('/proc/thread-self/ns/net', 'r');
  return homeFd;
}

/** Back to berthd's namespace; a thread that cannot return must not go on running berthd's code. */
function goHome(c: Calls): void {
  if (c.setns(home(), CLONE_NEWNET) !== 0) {
    process.stderr.write(`berthd: cannot return to its network namespace (errno ${c.errno()}); stopping\n`);
    process.abort();
  }
}

/** Runs `fn` inside the network namespace at `nsPath` (its file), then returns to berthd's. */
function inNamespace<T>(nsPath: string, fn: () => T): T {
  const c = load();
  home();
  const fd = openSync(nsPath, 'r');
  try {
    if (c.setns(fd, CLONE_NEWNET) !== 0) throw sysError('setns', c.errno(), `enter network namespace ${nsPath}`, nsPath);
    try {
      return fn();
    } finally {
      goHome(c);
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * A new network namespace, named by a bind mount on `path` (an existing empty file), as
 * `ip netns add` makes one. berthd's thread is back in its own namespace when this returns.
 */
export function createNetnsAt(path: string): void {
  const c = load();
  home();
  if (c.unshare(CLONE_NEWNET) !== 0) throw sysError('unshare', c.errno(), 'create a network namespace');
  try {
    mount('/proc/thread-self/ns/net', path, null, MS_BIND, null);
  } finally {
    goHome(c);
  }
}

/** berthd's own UTS and IPC namespaces, opened once, as its network one. */
const homeOf: Partial<Record<'uts' | 'ipc', number>> = {};
const FLAG = { uts: CLONE_NEWUTS, ipc: CLONE_NEWIPC } as const;

/**
 * A new UTS namespace with `hostname` (checked by the caller), or a new IPC namespace, named by a
 * bind mount on `path` (an existing empty file), as `unshare --uts=PATH` makes one but without a
 * process: berthd's thread enters it for the hostname and the mount and is back in its own when
 * this returns.
 */
export function createNamespaceAt(kind: 'uts' | 'ipc', path: string, hostname?: string): void {
  const c = load();
  const own = (homeOf[kind] ??= openSync(`/proc/thread-self/ns/${kind}`, 'r'));
  if (c.unshare(FLAG[kind]) !== 0) throw sysError('unshare', c.errno(), `create a${kind === 'ipc' ? 'n IPC' : ' UTS'} namespace`);
  try {
    if (hostname !== undefined) {
      const name = Buffer.from(hostname);
      if (c.sethostname(name, name.length) !== 0) throw sysError('sethostname', c.errno(), `set the hostname ${hostname}`);
    }
    mount(`/proc/thread-self/ns/${kind}`, path, null, MS_BIND, null);
  } finally {
    if (c.setns(own, FLAG[kind]) !== 0) {
      process.stderr.write(`berthd: cannot return to its ${kind} namespace (errno ${c.errno()}); stopping\n`);
      process.abort();
    }
  }
}

/**
 * Sets a network sysctl of the namespace at `nsPath` ("net/ipv6/conf/eth0/accept_ra"): /proc/sys/net
 * shows the namespace of the thread that opens it, so the write is made from inside, in one turn.
 */
export function writeNetSysctl(nsPath: string, key: string, value: string): void {
  if (!/^net\/[a-z0-9_./-]+$/i.test(key) || key.includes('..')) throw new Internal(`invalid sysctl ${key}`);
  inNamespace(nsPath, () => {
    try {
      writeFileSync(`/proc/sys/${key}`, value);
    } catch (e) {
      throw sysError('write', -((e as NodeJS.ErrnoException).errno ?? 0), `set ${key.replace(/\//g, '.')} to ${value}`);
    }
  });
}

/** One NETLINK_ROUTE socket: whole requests out, whole datagrams in. */
export class RouteSocket {
  readonly #fd: number;
  #closed = false;

  private constructor(fd: number) {
    this.#fd = fd;
  }

  /** A socket in berthd's namespace, or in the one at `nsPath`. */
  static open(nsPath?: string): RouteSocket {
    const c = load();
    const make = (): number => {
      const fd = c.socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
      if (fd < 0) throw sysError('socket', c.errno(), 'open a netlink socket');
      return fd;
    };
    return new RouteSocket(nsPath === undefined ? make() : inNamespace(nsPath, make));
  }

  /** Sends one request datagram to the kernel. */
  send(msg: Buffer): void {
    const c = load();
    // sockaddr_nl: family, pad, pid 0 (the kernel), groups 0.
    const addr = Buffer.alloc(12);
    addr.writeUInt16LE(AF_NETLINK, 0);
    for (;;) {
      const n = c.sendto(this.#fd, msg, msg.length, 0, addr, addr.length);
      if (n === msg.length) return;
      const e = c.errno();
      if (n < 0 && e === EINTR) continue;
      throw n < 0 ? sysError('sendto', e, 'send a netlink request') : new Internal('netlink request sent in part');
    }
  }

  /** The next datagram the kernel queued for this socket, or null when none is there. */
  receive(): Buffer | null {
    const c = load();
    const buf = Buffer.alloc(64 * 1024);
    for (;;) {
      const n = c.recv(this.#fd, buf, buf.length, MSG_DONTWAIT);
      if (n >= 0) return buf.subarray(0, n);
      const e = c.errno();
      if (e === EINTR) continue;
      if (e === EAGAIN) return null;
      throw sysError('recv', e, 'read a netlink answer');
    }
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    load().close(this.#fd);
  }
}

/** The error of a netlink answer that carries `errno`, in the words of `what` was asked. */
export function netlinkError(errno: number, what: string): BerthError {
  return sysError('netlink', errno, what);
}
