export { errnoCode } from './libc.js';
export {
  mount,
  umount2,
  MS_RDONLY,
  MS_NOSUID,
  MS_NODEV,
  MS_NOEXEC,
  MS_REMOUNT,
  MS_BIND,
  MS_MOVE,
  MS_REC,
  MS_PRIVATE,
  MS_SLAVE,
  MS_SHARED,
  MNT_FORCE,
  MNT_DETACH,
  UMOUNT_NOFOLLOW,
} from './mount.js';
export { mknod, makedev, S_IFCHR, S_IFBLK, S_IFIFO } from './node.js';
export { lsetxattr, lgetxattr, llistxattr, lremovexattr, readXattrs } from './xattr.js';
export { openPtyPair, dupFd, closeFd, setWindowSize } from './pty.js';
export { EAGAIN, SHUT_WR, connectSeqpacket, connectUnixDatagram, sendNonBlocking, recvNonBlocking, shutdownSocket, closeSocket } from './seqpacket.js';
export { RouteSocket, createNamespaceAt, createNetnsAt, netlinkError, writeNetSysctl } from './netlink.js';
export { trimHeap } from './heap.js';
export { reserveBeyondEnd } from './space.js';
export { projectId, setProjectId, setProjectLimit, projectUsage, QUOTA_ABI, qcmd } from './quota.js';
