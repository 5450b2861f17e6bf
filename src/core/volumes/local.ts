import { chown, mkdir, readdir, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { InvalidArgument } from '../../errdefs/index.js';
import type { Owner } from '../../util/index.js';

const NAME_RE = /^[a-zA-Z0-9][a-zA-Z0-9_.-]+$/;
/** The options the local driver takes, as Docker's (`-o type=tmpfs -o device=tmpfs -o o=size=10m`). */
const OPTION_KEYS = new Set(['type', 'device', 'o', 'size']);

/** Docker's check and words for a local volume name. */
export function validateVolumeName(name: string): void {
  if (!NAME_RE.test(name)) {
    throw new InvalidArgument(
      `create ${name}: "${name}" includes invalid characters for a local volume name, only "[a-zA-Z0-9][a-zA-Z0-9_.-]" are allowed. If you intended to pass a host directory, use absolute path`,
    );
  }
}

export function validateLocalOptions(options: Record<string, string>): void {
  for (const k of Object.keys(options)) if (!OPTION_KEYS.has(k)) throw new InvalidArgument(`invalid option: "${k}"`);
  if (options['device'] !== undefined && !options['type']) throw new InvalidArgument('missing required option: "type"');
  if (options['type'] !== undefined && !options['device']) throw new InvalidArgument('missing required option: "device"');
}

/**
 * How a volume is mounted into a container: a bind of its data directory, or — for a local volume
 * created with type/device/o options — the filesystem those name, mounted by the runtime.
 */
export interface VolumeMountSource {
  type: string;
  source: string;
  options: string[];
}

/**
 * The local volume driver: one directory per volume, <root>/<name>/_data. With `owner` (the
 * remapped root of daemon --userns-remap) new data directories belong to it, as in Docker.
 */
export class LocalVolumeDriver {
  readonly name = 'local';
  constructor(
    readonly root: string,
    readonly owner?: Owner,
  ) {}

  dataPath(name: string): string {
    return join(this.root, name, '_data');
  }

  async create(name: string, options: Record<string, string>): Promise<string> {
    validateVolumeName(name);
    validateLocalOptions(options);
    await mkdir(join(this.root, name), { recursive: true, mode: 0o701 });
    await mkdir(this.dataPath(name), { recursive: true, mode: 0o755 });
    if (this.owner) await chown(this.dataPath(name), this.owner.uid, this.owner.gid);
    return this.dataPath(name);
  }

  /** Where a volume's folder waits between the two halves of its removal (no volume name starts with a dot). */
  #aside(name: string): string {
    return join(this.root, `.removing-${name}`);
  }

  /**
   * The first half of a removal, before the record goes: the folder moves aside in one rename. A
   * berthd killed before `remove` finishes leaves it there for `recover`, never a folder without a record.
   */
  async detach(name: string): Promise<void> {
    validateVolumeName(name);
    await rename(join(this.root, name), this.#aside(name)).catch((e: unknown) => {
      if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    });
  }

  async remove(name: string): Promise<void> {
    validateVolumeName(name);
    await rm(join(this.root, name), { recursive: true, force: true });
    await rm(this.#aside(name), { recursive: true, force: true });
  }

  /** At berthd's start: a folder set aside whose volume is still recorded goes back; the others are removed. */
  async recover(recorded: (name: string) => boolean): Promise<void> {
    const names = await readdir(this.root).catch(() => [] as string[]);
    for (const n of names) {
      if (!n.startsWith('.removing-')) continue;
      const name = n.slice('.removing-'.length);
      if (NAME_RE.test(name) && recorded(name)) await rename(join(this.root, n), join(this.root, name));
      else await rm(join(this.root, n), { recursive: true, force: true });
    }
  }

  /** The data directory, recreated if someone deleted it behind berth's back (Docker does the same). */
  async path(name: string): Promise<string> {
    const p = this.dataPath(name);
    if ((await mkdir(p, { recursive: true, mode: 0o755 })) !== undefined && this.owner) await chown(p, this.owner.uid, this.owner.gid);
    return p;
  }

  mountSource(name: string, options: Record<string, string>): VolumeMountSource {
    const type = options['type'];
    const device = options['device'];
    if (type && device) {
      const o = (options['o'] ?? '').split(',').filter((x) => x !== '');
      if (type === 'none' || o.includes('bind')) return { type: 'bind', source: device, options: ['rbind', ...o.filter((x) => x !== 'bind')] };
      return { type, source: device, options: o };
    }
    return { type: 'bind', source: this.dataPath(name), options: ['rbind'] };
  }

  async isEmpty(name: string): Promise<boolean> {
    const entries = await readdir(this.dataPath(name)).catch((e: unknown) => {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw e;
    });
    return entries.length === 0;
  }

  /** Bytes used by the volume's files (for `system df -v`); -1 when unknown. */
  async size(name: string): Promise<number> {
    return dirSize(this.dataPath(name)).catch(() => -1);
  }
}

async function dirSize(dir: string): Promise<number> {
  let total = 0;
  for (const ent of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, ent.name);
    if (ent.isDirectory()) total += await dirSize(p);
    else if (ent.isFile()) total += (await stat(p)).size;
  }
  return total;
}
