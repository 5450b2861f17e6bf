import { readFile, realpath } from 'node:fs/promises';
import { InvalidArgument } from '../../errdefs/index.js';

/*
 * A bind mount that should propagate (rshared: both ways, rslave: from the host) does so only if
 * its source lies on a mount that is itself shared (or a slave) on the host: otherwise nothing
 * would propagate and the container would silently not get what it asked for. Docker and
 * containerd refuse such a start; berth too, in Docker's words.
 */

interface MountEntry {
  point: string;
  shared: boolean;
  slave: boolean;
}

/** mountinfo escapes space, tab, newline and backslash as octal. */
function unescape(s: string): string {
  return s.replace(/\\([0-7]{3})/g, (_, o: string) => String.fromCharCode(parseInt(o, 8)));
}

export function parseMountinfo(text: string): MountEntry[] {
  const out: MountEntry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(' ');
    const sep = f.indexOf('-');
    if (f.length < 7 || sep < 6) continue;
    const optional = f.slice(6, sep);
    out.push({ point: unescape(f[4] ?? ''), shared: optional.some((o) => o.startsWith('shared:')), slave: optional.some((o) => o.startsWith('master:')) });
  }
  return out;
}

/** The mount a path lies on: the last mounted one whose point is the path or one of its parents. */
export function mountOf(entries: MountEntry[], path: string): MountEntry | undefined {
  let best: MountEntry | undefined;
  for (const e of entries) {
    const under = e.point === '/' || path === e.point || path.startsWith(`${e.point}/`);
    if (under && (!best || e.point.length >= best.point.length)) best = e;
  }
  return best;
}

/** Refuses a shared or slave bind whose source's mount cannot propagate that way. */
export async function checkPropagation(source: string, propagation: string, mountinfo = '/proc/self/mountinfo'): Promise<void> {
  const shared = propagation === 'rshared' || propagation === 'shared';
  const slave = propagation === 'rslave' || propagation === 'slave';
  if (!shared && !slave) return;
  const path = await realpath(source).catch(() => source);
  const m = mountOf(parseMountinfo(await readFile(mountinfo, 'utf8')), path);
  if (!m) return;
  if (shared && !m.shared) throw new InvalidArgument(`path ${source} is mounted on ${m.point} but it is not a shared mount`);
  if (slave && !m.shared && !m.slave) throw new InvalidArgument(`path ${source} is mounted on ${m.point} but it is not a shared or slave mount`);
}
