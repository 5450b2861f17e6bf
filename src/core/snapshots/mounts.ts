import { mkdir, readFile, stat } from 'node:fs/promises';
import { InvalidArgument } from '../../errdefs/index.js';
import {
  errnoCode,
  mount,
  umount2,
  MNT_DETACH,
  MS_BIND,
  MS_NODEV,
  MS_NOEXEC,
  MS_NOSUID,
  MS_PRIVATE,
  MS_RDONLY,
  MS_REC,
  MS_REMOUNT,
  MS_SHARED,
  MS_SLAVE,
} from '../../sys/index.js';
import type { Mount } from './types.js';

const FLAGS: Record<string, number> = {
  ro: MS_RDONLY,
  rw: 0,
  nosuid: MS_NOSUID,
  nodev: MS_NODEV,
  noexec: MS_NOEXEC,
  bind: MS_BIND,
  rbind: MS_BIND | MS_REC,
};
const PROPAGATION: Record<string, number> = {
  private: MS_PRIVATE,
  rprivate: MS_PRIVATE | MS_REC,
  slave: MS_SLAVE,
  rslave: MS_SLAVE | MS_REC,
  shared: MS_SHARED,
  rshared: MS_SHARED | MS_REC,
};

/** The kernel copies mount data into one page. */
const MAX_DATA = 4095;

function parse(m: Mount): { flags: number; propagation: number; data: string } {
  let flags = m.type === 'bind' ? MS_BIND : 0;
  let propagation = 0;
  const data: string[] = [];
  for (const o of m.options) {
    const f = FLAGS[o];
    const p = PROPAGATION[o];
    if (f !== undefined) flags |= f;
    else if (p !== undefined) propagation |= p;
    else data.push(o);
  }
  const joined = data.join(',');
  if (Buffer.byteLength(joined) > MAX_DATA) {
    throw new InvalidArgument(`mount options for ${m.target} are too long (${Buffer.byteLength(joined)} bytes; at most ${MAX_DATA})`);
  }
  return { flags, propagation, data: joined };
}

/** Performs the mounts in order, creating targets; if one fails, those already made are undone. */
export async function mountAll(mounts: Mount[], signal?: AbortSignal): Promise<void> {
  const done: string[] = [];
  try {
    for (const m of mounts) {
      signal?.throwIfAborted();
      const { flags, propagation, data } = parse(m);
      // A bind of a single file lands on a file that the caller made.
      if (!(await stat(m.target).catch(() => null))) await mkdir(m.target, { recursive: true });
      const bind = (flags & MS_BIND) !== 0;
      if (bind) mount(m.source, m.target, null, flags & ~MS_RDONLY, null);
      else mount(m.source, m.target, m.type, flags, data || null);
      done.push(m.target);
      // A bind mount ignores MS_RDONLY and the like on creation; they take a remount.
      const extra = flags & (MS_RDONLY | MS_NOSUID | MS_NODEV | MS_NOEXEC);
      if (bind && extra) mount('', m.target, null, MS_REMOUNT | MS_BIND | extra, null);
      if (propagation) mount('', m.target, null, propagation, null);
    }
  } catch (e) {
    for (const t of done.reverse()) await unmountAll(t).catch(() => undefined);
    throw e;
  }
}

/** Detaches every mount stacked on `target`; nothing mounted (or no such path) is fine. */
export async function unmountAll(target: string): Promise<void> {
  for (let i = 0; i < 64; i++) {
    try {
      umount2(target, MNT_DETACH);
    } catch (e) {
      const code = errnoCode(e);
      if (code === 'EINVAL' || code === 'ENOENT') return;
      throw e;
    }
  }
}

function unescapeMountinfo(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

/** Mount points at or beneath `dir`, deepest first (from /proc/self/mountinfo). */
export async function mountsUnder(dir: string): Promise<string[]> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  const prefix = dir.endsWith('/') ? dir : `${dir}/`;
  const out = new Set<string>();
  for (const line of info.split('\n')) {
    const mp = line.split(' ')[4];
    if (mp === undefined) continue;
    const p = unescapeMountinfo(mp);
    if (p === dir || p.startsWith(prefix)) out.add(p);
  }
  return [...out].sort((a, b) => b.length - a.length);
}
