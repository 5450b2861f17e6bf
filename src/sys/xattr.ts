import { getLibc, lastErrno, sysError } from './libc.js';

const ENODATA = 61;
const ENOTSUP = 95;
const ERANGE = 34;

/** lsetxattr(2): sets an attribute on the path itself, not a symlink's target. */
export function lsetxattr(path: string, name: string, value: Buffer | string, flags = 0): void {
  const v = typeof value === 'string' ? Buffer.from(value) : value;
  if (getLibc().lsetxattr(path, name, v, v.length, flags) !== 0) {
    const errno = lastErrno();
    throw sysError('lsetxattr', errno, `set xattr ${name} on ${path}`, path);
  }
}

/** lgetxattr(2); undefined when the attribute is absent or the filesystem has none. */
export function lgetxattr(path: string, name: string): Buffer | undefined {
  const libc = getLibc();
  for (let size = 256; ; size *= 4) {
    const buf = Buffer.alloc(size);
    const n = libc.lgetxattr(path, name, buf, size);
    if (n >= 0) return buf.subarray(0, n);
    const errno = lastErrno();
    if (errno === ENODATA || errno === ENOTSUP) return undefined;
    if (errno !== ERANGE || size > 1 << 20) throw sysError('lgetxattr', errno, `get xattr ${name} of ${path}`, path);
  }
}

/** llistxattr(2): attribute names; [] on filesystems without xattrs. */
export function llistxattr(path: string): string[] {
  const libc = getLibc();
  for (let size = 1024; ; size *= 4) {
    const buf = Buffer.alloc(size);
    const n = libc.llistxattr(path, buf, size);
    if (n >= 0) return buf.subarray(0, n).toString('utf8').split('\0').filter((s) => s !== '');
    const errno = lastErrno();
    if (errno === ENOTSUP) return [];
    if (errno !== ERANGE || size > 1 << 20) throw sysError('llistxattr', errno, `list xattrs of ${path}`, path);
  }
}

export function lremovexattr(path: string, name: string): void {
  if (getLibc().lremovexattr(path, name) !== 0) {
    const errno = lastErrno();
    if (errno === ENODATA) return;
    throw sysError('lremovexattr', errno, `remove xattr ${name} of ${path}`, path);
  }
}

/** Every attribute of a path (not following symlinks), values as raw bytes. Fits util/tar's XattrReader. */
export async function readXattrs(path: string): Promise<Record<string, Buffer>> {
  const out: Record<string, Buffer> = {};
  for (const name of llistxattr(path)) {
    const v = lgetxattr(path, name);
    if (v !== undefined) out[name] = v;
  }
  return out;
}
