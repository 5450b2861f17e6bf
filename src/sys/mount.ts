import { getLibc, lastErrno, sysError } from './libc.js';

export const MS_RDONLY = 0x1;
export const MS_NOSUID = 0x2;
export const MS_NODEV = 0x4;
export const MS_NOEXEC = 0x8;
export const MS_REMOUNT = 0x20;
export const MS_BIND = 0x1000;
export const MS_MOVE = 0x2000;
export const MS_REC = 0x4000;
export const MS_PRIVATE = 0x40000;
export const MS_SLAVE = 0x80000;
export const MS_SHARED = 0x100000;
export const MNT_FORCE = 0x1;
export const MNT_DETACH = 0x2;
export const UMOUNT_NOFOLLOW = 0x8;

/** mount(2). `data` is the filesystem's option string (e.g. overlay's lowerdir=…). */
export function mount(source: string, target: string, fstype: string | null, flags: number, data: string | null): void {
  if (getLibc().mount(source, target, fstype, flags, data) !== 0) {
    const errno = lastErrno();
    throw sysError('mount', errno, `mount ${fstype ?? 'bind'} ${source} on ${target}`, target);
  }
}

/** umount2(2), e.g. with MNT_DETACH for a lazy unmount. */
export function umount2(target: string, flags = 0): void {
  if (getLibc().umount2(target, flags) !== 0) {
    const errno = lastErrno();
    throw sysError('umount2', errno, `unmount ${target}`, target);
  }
}
