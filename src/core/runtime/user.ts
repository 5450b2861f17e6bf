import { lstat, readFile, readlink } from 'node:fs/promises';
import { posix } from 'node:path';
import { InvalidArgument } from '../../errdefs/index.js';

/**
 * Resolves `path` inside `root` as if `root` were `/`: symlinks (absolute or relative) are
 * followed but can never leave `root`, like runc's securejoin. Returns a host path.
 */
export async function resolveInRoot(root: string, path: string, signal?: AbortSignal): Promise<string> {
  const pending = posix.normalize(`/${path}`).split('/').filter(Boolean);
  const done: string[] = [];
  let hops = 0;
  while (pending.length > 0) {
    signal?.throwIfAborted();
    const part = pending.shift() as string;
    if (part === '.') continue;
    if (part === '..') {
      done.pop();
      continue;
    }
    const host = posix.join(root, ...done, part);
    let isLink = false;
    try {
      isLink = (await lstat(host)).isSymbolicLink();
    } catch {
      // A missing component ends the walk; the caller's open reports it.
    }
    if (!isLink) {
      done.push(part);
      continue;
    }
    if (++hops > 40) throw new InvalidArgument(`too many levels of symbolic links resolving ${path} in the container`);
    const target = await readlink(host);
    if (target.startsWith('/')) done.length = 0;
    pending.unshift(...target.split('/').filter(Boolean));
  }
  return posix.join(root, ...done);
}

async function readRootFile(rootfs: string, path: string): Promise<string | null> {
  try {
    return await readFile(await resolveInRoot(rootfs, path), 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT' || (e as NodeJS.ErrnoException).code === 'ENOTDIR') return null;
    throw e;
  }
}

interface PasswdEntry {
  name: string;
  uid: number;
  gid: number;
  home: string;
}
interface GroupEntry {
  name: string;
  gid: number;
  members: string[];
}

function parsePasswd(text: string): PasswdEntry[] {
  const out: PasswdEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const f = line.split(':');
    const uid = Number(f[2]);
    const gid = Number(f[3]);
    if (f.length < 4 || !Number.isInteger(uid) || !Number.isInteger(gid)) continue;
    out.push({ name: f[0] ?? '', uid, gid, home: f[5] ?? '' });
  }
  return out;
}

function parseGroup(text: string): GroupEntry[] {
  const out: GroupEntry[] = [];
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue;
    const f = line.split(':');
    const gid = Number(f[2]);
    if (f.length < 3 || !Number.isInteger(gid)) continue;
    out.push({ name: f[0] ?? '', gid, members: (f[3] ?? '').split(',').filter(Boolean) });
  }
  return out;
}

const isNumeric = (s: string): boolean => /^[0-9]+$/.test(s);

/**
 * Docker's user resolution (moby/sys/user GetExecUser): "", "name", "uid", "name:group",
 * "uid:gid", looked up in the rootfs' /etc/passwd and /etc/group.
 */
export async function resolveUser(
  rootfs: string,
  user: string,
  signal?: AbortSignal,
): Promise<{ uid: number; gid: number; additionalGids: number[]; home: string }> {
  signal?.throwIfAborted();
  const [userPart = '', groupPart, extra] = user.split(':');
  if (extra !== undefined) throw new InvalidArgument(`invalid user: ${user}`);
  const passwd = parsePasswd((await readRootFile(rootfs, '/etc/passwd')) ?? '');
  const userArg = userPart === '' ? '0' : userPart;

  let entry: PasswdEntry | undefined;
  if (isNumeric(userArg)) entry = passwd.find((p) => p.uid === Number(userArg));
  else {
    entry = passwd.find((p) => p.name === userArg);
    if (!entry) throw new InvalidArgument(`unable to find user ${userArg}: no matching entries in passwd file`);
  }
  const uid = entry?.uid ?? Number(userArg);
  if (uid > 0x7fffffff) throw new InvalidArgument(`uids and gids must be in range 0-2147483647`);
  let gid = entry?.gid ?? 0;
  const home = entry?.home || '/';

  const needGroups = (groupPart !== undefined && groupPart !== '' && !isNumeric(groupPart)) || entry !== undefined;
  const groups = needGroups ? parseGroup((await readRootFile(rootfs, '/etc/group')) ?? '') : [];
  const additionalGids: number[] = [];
  if (groupPart !== undefined && groupPart !== '') {
    if (isNumeric(groupPart)) gid = Number(groupPart);
    else {
      const g = groups.find((x) => x.name === groupPart);
      if (!g) throw new InvalidArgument(`unable to find group ${groupPart}: no matching entries in group file`);
      gid = g.gid;
    }
    if (gid > 0x7fffffff) throw new InvalidArgument(`uids and gids must be in range 0-2147483647`);
  } else if (entry) {
    for (const g of groups) if (g.members.includes(entry.name) && !additionalGids.includes(g.gid)) additionalGids.push(g.gid);
  }
  return { uid, gid, additionalGids, home };
}
