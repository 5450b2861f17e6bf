import { closeSync, constants, openSync } from 'node:fs';
import { libcBinder, sysError } from './libc.js';

/*
 * Project quotas, as dockerd's overlay2 sets them on a container's writable layer: a directory gets
 * a project id (FS_IOC_FSSETXATTR with FS_XFLAG_PROJINHERIT, so what is made beneath it inherits
 * the id), and the project a block hard limit (quotactl Q_XSETQLIM, the XFS quota interface, which
 * the kernel also serves for ext4's project quotas). quotactl names the filesystem by a block
 * device node.
 */

const load = libcBinder<{
  ioctl(fd: number, request: number, arg: Buffer): number;
  quotactl(cmd: number, special: string, id: number, addr: Buffer): number;
}>({
  // Declared with the one pointer argument these requests take (ioctl is variadic in C).
  ioctl: 'int ioctl(int fd, unsigned long request, void *arg)',
  quotactl: 'int quotactl(int cmd, const char *special, int id, void *addr)',
});

/**
 * The kernel ABI this file writes (linux/fs.h, linux/dqblk_xfs.h, linux/quota.h), exported so a
 * test can hold it against the headers: the quota path cannot run on a kernel without XFS quotas.
 */
export const QUOTA_ABI = {
  FS_IOC_FSGETXATTR: 0x801c581f, // _IOR('X', 31, struct fsxattr)
  FS_IOC_FSSETXATTR: 0x401c5820, // _IOW('X', 32, struct fsxattr)
  fsxattrSize: 28,
  fsxXflagsOffset: 0,
  fsxProjidOffset: 12,
  FS_XFLAG_PROJINHERIT: 0x200,
  fsDiskQuotaSize: 112,
  dIdOffset: 4,
  dBlkHardlimitOffset: 8,
  dBlkSoftlimitOffset: 16,
  dBcountOffset: 40,
  FS_DQUOT_VERSION: 1,
  FS_PROJ_QUOTA: 2,
  FS_DQ_BSOFT: 1 << 2,
  FS_DQ_BHARD: 1 << 3,
  PRJQUOTA: 2,
  Q_XGETQUOTA: (0x58 << 8) + 3,
  Q_XSETQLIM: (0x58 << 8) + 4,
} as const;
const A = QUOTA_ABI;
/** QCMD(cmd, type). */
export const qcmd = (cmd: number, type: number): number => (cmd << 8) | (type & 0xff);
/** XFS quota limits and counts are in 512-byte basic blocks. */
const BBSIZE = 512;

function withDir<T>(path: string, f: (fd: number) => T): T {
  const fd = openSync(path, constants.O_RDONLY | constants.O_DIRECTORY);
  try {
    return f(fd);
  } finally {
    closeSync(fd);
  }
}

function getXattr(fd: number, path: string): Buffer {
  const buf = Buffer.alloc(A.fsxattrSize);
  const l = load();
  if (l.ioctl(fd, A.FS_IOC_FSGETXATTR, buf) !== 0) throw sysError('ioctl', l.errno(), `read the project id of ${path}`, path);
  return buf;
}

/** The project id of a directory (0: none). */
export function projectId(path: string): number {
  return withDir(path, (fd) => getXattr(fd, path).readUInt32LE(A.fsxProjidOffset));
}

/** Gives a directory a project id that what is made beneath it inherits. */
export function setProjectId(path: string, id: number): void {
  withDir(path, (fd) => {
    const buf = getXattr(fd, path);
    buf.writeUInt32LE((buf.readUInt32LE(A.fsxXflagsOffset) | A.FS_XFLAG_PROJINHERIT) >>> 0, A.fsxXflagsOffset);
    buf.writeUInt32LE(id, A.fsxProjidOffset);
    const l = load();
    if (l.ioctl(fd, A.FS_IOC_FSSETXATTR, buf) !== 0) throw sysError('ioctl', l.errno(), `set project id ${id} on ${path}`, path);
  });
}

/**
 * Sets a project's block limit (hard and soft) to `bytes`, rounded up to 512-byte blocks; 0 lifts
 * it. `device` is a block device node of the filesystem.
 */
export function setProjectLimit(device: string, id: number, bytes: number): void {
  const q = Buffer.alloc(A.fsDiskQuotaSize);
  q.writeInt8(A.FS_DQUOT_VERSION, 0);
  q.writeInt8(A.FS_PROJ_QUOTA, 1);
  q.writeUInt16LE(A.FS_DQ_BSOFT | A.FS_DQ_BHARD, 2);
  q.writeUInt32LE(id, A.dIdOffset);
  const blocks = BigInt(Math.ceil(bytes / BBSIZE));
  q.writeBigUInt64LE(blocks, A.dBlkHardlimitOffset);
  q.writeBigUInt64LE(blocks, A.dBlkSoftlimitOffset);
  const l = load();
  if (l.quotactl(qcmd(A.Q_XSETQLIM, A.PRJQUOTA), device, id, q) !== 0) throw sysError('quotactl', l.errno(), `set the quota of project ${id}`);
}

/** A project's block hard limit and the bytes its files use. */
export function projectUsage(device: string, id: number): { limitBytes: number; usedBytes: number } {
  const q = Buffer.alloc(A.fsDiskQuotaSize);
  const l = load();
  if (l.quotactl(qcmd(A.Q_XGETQUOTA, A.PRJQUOTA), device, id, q) !== 0) throw sysError('quotactl', l.errno(), `read the quota of project ${id}`);
  return { limitBytes: Number(q.readBigUInt64LE(A.dBlkHardlimitOffset)) * BBSIZE, usedBytes: Number(q.readBigUInt64LE(A.dBcountOffset)) * BBSIZE };
}
