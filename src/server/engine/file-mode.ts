/**
 * Docker's container path stat (the X-Docker-Container-Path-Stat header of `docker cp`) gives a
 * file's mode as Go's os.FileMode: permission bits plus type and special bits of its own.
 */
const GO_DIR = 2 ** 31;
const GO_SYMLINK = 2 ** 27;
const GO_DEVICE = 2 ** 26;
const GO_PIPE = 2 ** 25;
const GO_SOCKET = 2 ** 24;
const GO_SETUID = 2 ** 23;
const GO_SETGID = 2 ** 22;
const GO_CHARDEV = 2 ** 21;
const GO_STICKY = 2 ** 20;

const S_IFMT = 0o170000;
const TYPE_BITS: Record<number, number> = {
  0o040000: GO_DIR,
  0o120000: GO_SYMLINK,
  0o010000: GO_PIPE,
  0o140000: GO_SOCKET,
  0o060000: GO_DEVICE,
  0o020000: GO_DEVICE + GO_CHARDEV,
};

/** Go's os.FileMode of a POSIX st_mode. */
export function goFileMode(posixMode: number): number {
  let m = posixMode & 0o777;
  if (posixMode & 0o4000) m += GO_SETUID;
  if (posixMode & 0o2000) m += GO_SETGID;
  if (posixMode & 0o1000) m += GO_STICKY;
  return m + (TYPE_BITS[posixMode & S_IFMT] ?? 0);
}
