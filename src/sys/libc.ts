import koffi from 'koffi';
import { constants } from 'node:os';
import { Conflict, Forbidden, Internal, InvalidArgument, NotFound, NotImplemented, type BerthError } from '../errdefs/index.js';

type Fn = (...args: unknown[]) => number;

export interface Libc {
  mount: Fn;
  umount2: Fn;
  mknod: Fn;
  lsetxattr: Fn;
  lgetxattr: Fn;
  llistxattr: Fn;
  lremovexattr: Fn;
  strerror: (errnum: number) => string;
}

let libc: Libc | null = null;

/** Binds libc on first use, so importing sys/ costs nothing and has no side effects. */
export function getLibc(): Libc {
  if (libc) return libc;
  const lib = koffi.load('libc.so.6');
  const f = (decl: string): Fn => lib.func(decl);
  libc = {
    mount: f('int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)'),
    umount2: f('int umount2(const char *target, int flags)'),
    mknod: f('int mknod(const char *path, uint32_t mode, uint64_t dev)'),
    lsetxattr: f('int lsetxattr(const char *path, const char *name, const void *value, size_t size, int flags)'),
    lgetxattr: f('intptr_t lgetxattr(const char *path, const char *name, _Out_ void *value, size_t size)'),
    llistxattr: f('intptr_t llistxattr(const char *path, _Out_ char *list, size_t size)'),
    lremovexattr: f('int lremovexattr(const char *path, const char *name)'),
    strerror: lib.func('const char *strerror(int errnum)') as unknown as (n: number) => string,
  };
  return libc;
}

const NAMES = new Map<number, string>(Object.entries(constants.errno).map(([k, v]) => [v, k]));

/** The errno left by the last FFI call on this thread. */
export function lastErrno(): number {
  return koffi.errno();
}

/** The errno code (e.g. 'ENOENT') carried by an error thrown from sys/, if any. */
export function errnoCode(e: unknown): string | undefined {
  const cause = e instanceof Error ? e.cause : undefined;
  if (cause instanceof Error && typeof (cause as NodeJS.ErrnoException).code === 'string') return (cause as NodeJS.ErrnoException).code;
  return undefined;
}

/**
 * Turns a failed call's errno into an errdefs error whose message carries the errno text and whose
 * cause is a Node-style errno exception (code, errno, syscall, path).
 */
export function sysError(syscall: string, errno: number, what: string, path?: string): BerthError {
  const code = NAMES.get(errno) ?? `E${errno}`;
  const text = getLibc().strerror(errno);
  const cause: NodeJS.ErrnoException = Object.assign(new Error(`${code}: ${text}, ${syscall}`), {
    code,
    errno: -errno,
    syscall,
    ...(path !== undefined ? { path } : {}),
  });
  const msg = `${what}: ${text} (${code})`;
  switch (code) {
    case 'ENOENT':
      return new NotFound(msg, { cause });
    case 'EEXIST':
    case 'EBUSY':
      return new Conflict(msg, { cause });
    case 'EINVAL':
    case 'ENAMETOOLONG':
      return new InvalidArgument(msg, { cause });
    case 'EPERM':
    case 'EACCES':
      return new Forbidden(msg, { cause });
    case 'ENOTSUP':
    case 'ENOSYS':
      return new NotImplemented(msg, { cause });
    default:
      return new Internal(msg, { cause });
  }
}
