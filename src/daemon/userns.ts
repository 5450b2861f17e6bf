import { execFile } from 'node:child_process';
import { readdir, readFile, stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { Internal, InvalidArgument } from '../errdefs/index.js';
import { RemappedSnapshotter, type Snapshotter } from '../core/snapshots/index.js';
import { mappingKey, rootOwner, type Digest, type IdMapping, type IdRange } from '../util/index.js';

const run = promisify(execFile);

/**
 * `--userns-remap default` uses (and creates when missing) the user and group `dockremap`: the
 * name Docker uses, so a host that ran Docker with remapping keeps its ranges and the files in
 * volumes keep their owners, and Docker's documentation reads true for berth.
 */
const DEFAULT_REMAP_USER = 'dockremap';
const DEFAULT_RANGE_START = 100000;
const DEFAULT_RANGE_SIZE = 65536;

export interface RemapFiles {
  /** Where passwd, group, subuid and subgid are read (default /etc). */
  etc: string;
  /** May the default user and its ranges be created (only for the real /etc). */
  create: boolean;
}

interface Entry {
  name: string;
  id: number;
}

function parseDb(text: string): Entry[] {
  const out: Entry[] = [];
  for (const line of text.split('\n')) {
    const f = line.split(':');
    if (f.length < 3 || !f[0] || !/^\d+$/.test(f[2] ?? '')) continue;
    out.push({ name: f[0], id: Number(f[2]) });
  }
  return out;
}

/** `name-or-id:start:count` lines of /etc/subuid or /etc/subgid. */
export function parseSubordinate(text: string): { owner: string; start: number; size: number }[] {
  const out: { owner: string; start: number; size: number }[] = [];
  for (const line of text.split('\n')) {
    const t = line.trim();
    if (!t || t.startsWith('#')) continue;
    const [owner, start, size] = t.split(':');
    if (!owner || !/^\d+$/.test(start ?? '') || !/^\d+$/.test(size ?? '') || Number(size) === 0) continue;
    out.push({ owner, start: Number(start), size: Number(size) });
  }
  return out;
}

async function readText(path: string): Promise<string> {
  return readFile(path, 'utf8').catch((e: unknown) => {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return '';
    throw e;
  });
}

/** A user or group given by name or number; a number need not have an entry (its ranges are looked up by number). */
function lookup(db: Entry[], spec: string, kind: 'user' | 'group'): Entry {
  if (/^\d+$/.test(spec)) return db.find((e) => e.id === Number(spec)) ?? { name: spec, id: Number(spec) };
  const e = db.find((x) => x.name === spec);
  if (!e) throw new InvalidArgument(`--userns-remap: no ${kind} named ${JSON.stringify(spec)} (in /etc/${kind === 'user' ? 'passwd' : 'group'})`);
  return e;
}

/** The first subordinate range of the owner, matched by name or by number, as shadow-utils does. */
function firstRange(text: string, who: Entry, file: string): IdRange {
  const r = parseSubordinate(text).find((x) => x.owner === who.name || x.owner === String(who.id));
  if (!r) throw new InvalidArgument(`cannot set up user namespace remapping: no subordinate ranges for ${JSON.stringify(who.name)} in ${file}`);
  return { containerId: 0, hostId: r.start, size: r.size };
}

/** As Docker picks one: the first gap of 65536 ids from 100000 on that no existing range overlaps. */
export function freeRangeStart(used: { start: number; size: number }[]): number {
  let start = DEFAULT_RANGE_START;
  for (const r of [...used].sort((a, b) => a.start - b.start)) {
    if (start + DEFAULT_RANGE_SIZE <= r.start) break;
    start = Math.max(start, r.start + r.size);
  }
  return start;
}

/** Docker's AddNamespaceRangesUser: a system user without a shell, and a free range of 65536 ids for it. */
async function createDefaultUser(etc: string): Promise<void> {
  const passwd = parseDb(await readText(join(etc, 'passwd')));
  if (!passwd.some((e) => e.name === DEFAULT_REMAP_USER)) {
    await run('useradd', ['-r', '-s', '/bin/false', DEFAULT_REMAP_USER]).catch((e: unknown) => {
      throw new Internal(`cannot create the ${DEFAULT_REMAP_USER} user for --userns-remap: ${(e as { stderr?: string }).stderr?.trim() || (e as Error).message}`, { cause: e });
    });
  }
  const uids = parseSubordinate(await readText(join(etc, 'subuid')));
  const gids = parseSubordinate(await readText(join(etc, 'subgid')));
  const has = (l: { owner: string }[]): boolean => l.some((x) => x.owner === DEFAULT_REMAP_USER);
  if (has(uids) && has(gids)) return;
  const start = freeRangeStart([...uids, ...gids]);
  const range = `${start}-${start + DEFAULT_RANGE_SIZE - 1}`;
  const args = [...(has(uids) ? [] : ['-v', range]), ...(has(gids) ? [] : ['-w', range]), DEFAULT_REMAP_USER];
  await run('usermod', args).catch((e: unknown) => {
    throw new Internal(`cannot add subordinate ranges for ${DEFAULT_REMAP_USER}: ${(e as { stderr?: string }).stderr?.trim() || (e as Error).message}`, { cause: e });
  });
}

/**
 * Resolves `--userns-remap default|USER[:GROUP]|UID[:GID]` to the mapping containers get: container
 * root is the first id of the user's first range in /etc/subuid (and the group's in /etc/subgid),
 * for the length of that range. Without a group, the user's name (or number) names the group.
 */
export async function resolveRemap(spec: string, files: RemapFiles = { etc: '/etc', create: true }): Promise<IdMapping> {
  const parts = spec.split(':');
  if (parts.length > 2 || parts.some((p) => p === '')) throw new InvalidArgument(`invalid user/group specification in --userns-remap: ${JSON.stringify(spec)}`);
  const [given, group] = parts as [string, string | undefined];
  let user = given;
  if (user === 'default') {
    if (group !== undefined) throw new InvalidArgument(`invalid user/group specification in --userns-remap: ${JSON.stringify(spec)}`);
    if (files.create) await createDefaultUser(files.etc);
    user = DEFAULT_REMAP_USER;
  }
  const u = lookup(parseDb(await readText(join(files.etc, 'passwd'))), user, 'user');
  // Without a group: a number names the gid of the same number, a name the group of the same name (as Docker).
  const g = lookup(parseDb(await readText(join(files.etc, 'group'))), group ?? (/^\d+$/.test(user) ? user : u.name), 'group');
  return {
    uids: [firstRange(await readText(join(files.etc, 'subuid')), u, '/etc/subuid')],
    gids: [firstRange(await readText(join(files.etc, 'subgid')), g, '/etc/subgid')],
  };
}

/**
 * The storage areas of remapped containers, one per mapping (`<data-root>/<uid>.<gid>`, as Docker
 * names them), each a snapshotter of the host's driver that shifts the host's layers into it.
 */
export class RemapAreas {
  readonly #areas = new Map<string, RemappedSnapshotter>();

  constructor(
    private readonly host: Snapshotter,
    private readonly dataRoot: string,
  ) {}

  get(m: IdMapping): RemappedSnapshotter {
    const key = mappingKey(m);
    let area = this.#areas.get(key);
    if (!area) {
      area = new RemappedSnapshotter(this.host, this.host.withRoot(join(this.dataRoot, key)), m);
      this.#areas.set(key, area);
    }
    return area;
  }

  /** A layer removed from the host goes from every area too (also from those of earlier remaps). */
  async removeLayer(chainId: Digest): Promise<void> {
    const names = await readdir(this.dataRoot).catch(() => [] as string[]);
    for (const n of names) if (/^\d+\.\d+$/.test(n)) await this.host.withRoot(join(this.dataRoot, n)).removeLayer(chainId);
  }
}

/**
 * runc mounts the rootfs from inside the user namespace, as the remapped root: every directory on
 * the way to the data root must let it pass, or every start fails. Checked at start-up, as Docker does.
 */
export async function checkRemappedAccess(dataRoot: string, m: IdMapping): Promise<void> {
  const root = rootOwner(m);
  for (let dir = resolve(dataRoot); ; dir = dirname(dir)) {
    const st = await stat(dir);
    const ok = st.mode & 0o001 || (st.uid === root.uid && st.mode & 0o100) || (st.gid === root.gid && st.mode & 0o010);
    if (!ok) {
      throw new InvalidArgument(
        `a directory on the path to the data root (${dir}) restricts access to the remapped root ${root.uid}:${root.gid}; allow 'o+x' on it (chmod o+x ${dir})`,
      );
    }
    if (dir === '/') return;
  }
}
