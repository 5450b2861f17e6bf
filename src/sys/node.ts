import { getLibc, lastErrno, sysError } from './libc.js';

export const S_IFCHR = 0o020000;
export const S_IFBLK = 0o060000;
export const S_IFIFO = 0o010000;

/** glibc's makedev(): the 64-bit dev_t of a major/minor pair. */
export function makedev(major: number, minor: number): bigint {
  const ma = BigInt(major >>> 0);
  const mi = BigInt(minor >>> 0);
  return ((ma & 0xfffff000n) << 32n) | ((ma & 0xfffn) << 8n) | ((mi & 0xffffff00n) << 12n) | (mi & 0xffn);
}

/** mknod(2). `mode` includes the file-type bits (S_IFCHR, S_IFBLK, S_IFIFO); the umask applies. */
export function mknod(path: string, mode: number, major = 0, minor = 0): void {
  if (getLibc().mknod(path, mode, makedev(major, minor)) !== 0) {
    const errno = lastErrno();
    throw sysError('mknod', errno, `mknod ${path}`, path);
  }
}
