import { createRequire } from 'node:module';
import { constants } from 'node:os';
import { Conflict, Forbidden, Internal, InvalidArgument, NotFound, NotImplemented, type BerthError } from '../errdefs/index.js';

type Koffi = typeof import('koffi');
let koffi: Koffi | undefined;
let lib: ReturnType<Koffi['load']> | undefined;

/** koffi and libc, loaded at the first call that needs them: importing sys/ costs nothing. */
function libcLib(): { koffi: Koffi; lib: ReturnType<Koffi['load']> } {
  koffi ??= createRequire(import.meta.url)('koffi') as Koffi;
  lib ??= koffi.load('libc.so.6');
  return { koffi, lib };
}

/** What libcBinder gives: the calls as declared, and the errno the last one left. */
export type Bound<T> = T & { errno(): number };

/**
 * The one way sys/ binds libc: `libcBinder<Calls>({ close: 'int close(int fd)' })` returns a
 * loader that binds every declared function on its first call and returns the same object after.
 * Integer results come back as numbers (koffi's bigint for an intptr_t too).
 */
export function libcBinder<T extends object>(decls: { [K in keyof T]: string }): () => Bound<T> {
  let bound: Bound<T> | undefined;
  return () => {
    if (bound) return bound;
    const { koffi: k, lib: l } = libcLib();
    const out: Record<string, unknown> = { errno: () => k.errno() };
    for (const [name, decl] of Object.entries<string>(decls)) {
      const f = l.func(decl);
      out[name] = (...args: unknown[]): unknown => {
        const r: unknown = f(...args);
        return typeof r === 'bigint' ? Number(r) : r;
      };
    }
    bound = out as Bound<T>;
    return bound;
  };
}

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

/** The calls of mount.ts, node.ts, xattr.ts and sysError. */
export const getLibc = libcBinder<Libc>({
  mount: 'int mount(const char *source, const char *target, const char *fstype, unsigned long flags, const char *data)',
  umount2: 'int umount2(const char *target, int flags)',
  mknod: 'int mknod(const char *path, uint32_t mode, uint64_t dev)',
  lsetxattr: 'int lsetxattr(const char *path, const char *name, const void *value, size_t size, int flags)',
  lgetxattr: 'intptr_t lgetxattr(const char *path, const char *name, _Out_ void *value, size_t size)',
  llistxattr: 'intptr_t llistxattr(const char *path, _Out_ char *list, size_t size)',
  lremovexattr: 'int lremovexattr(const char *path, const char *name)',
  strerror: 'const char *strerror(int errnum)',
});

const NAMES = new Map<number, string>(Object.entries(constants.errno).map(([k, v]) => [v, k]));

/** The errno left by the last FFI call on this thread. */
export function lastErrno(): number {
  return libcLib().koffi.errno();
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
