import { existsSync, readFileSync, readdirSync, rmSync, statSync, statfsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { S_IFBLK, mknod, projectId, projectUsage, setProjectId, setProjectLimit } from '../../sys/index.js';

/*
 * Size limits on containers' writable layers, as dockerd's overlay2 has them: where the data root's
 * filesystem enforces project quotas (xfs mounted with pquota/prjquota), each limited container's
 * upper/ and work/ get a project id of their own and the project a block limit. The id is kept on
 * the directories themselves, so a restarted berthd finds the ids in use by reading them back.
 */

/** dockerd's refusal where the backing filesystem cannot limit a writable layer. */
export const NO_PROJECT_QUOTA = "--storage-opt is supported only for overlay over xfs with 'pquota' mount option";

const XFS_MAGIC = 0x58465342;
const EXT4_MAGIC = 0xef53;

/** The super options of the mount holding `dir` (the last /proc/self/mountinfo line whose mount point is its longest prefix). */
function superOptions(dir: string): string[] {
  let best: { point: string; opts: string[] } | undefined;
  for (const line of readFileSync('/proc/self/mountinfo', 'utf8').split('\n')) {
    const [left, right] = line.split(' - ');
    if (!left || !right) continue;
    const point = (left.split(' ')[4] ?? '').replace(/\\040/g, ' ');
    const inside = dir === point || point === '/' || dir.startsWith(`${point}/`);
    if (inside && (!best || point.length >= best.point.length)) best = { point, opts: (right.split(' ')[2] ?? '').split(',') };
  }
  return best?.opts ?? [];
}

export class ProjectQuotas {
  private readonly used = new Set<number>();
  private next: number;

  private constructor(
    private readonly device: string,
    private readonly base: number,
  ) {
    this.next = base;
  }

  /**
   * Project quotas on `root`'s filesystem, or why there are none: the filesystem is xfs (or ext4)
   * mounted with project quotas enforced, and a limit can be set (dockerd's probe: on the first
   * project id it would give out). `containers` is the folder of container dirs whose upper/ ids
   * are in use.
   */
  static open(root: string, containers: string): ProjectQuotas | { reason: string } {
    const type = statfsSync(root).type;
    if (type !== XFS_MAGIC && type !== EXT4_MAGIC) return { reason: 'the data root is not on xfs' };
    const opts = superOptions(root);
    if (!opts.some((o) => o === 'prjquota' || o === 'pquota' || o === 'pqnoenforce')) return { reason: "the data root's filesystem is not mounted with 'pquota'" };
    if (opts.includes('pqnoenforce')) return { reason: "the data root's project quotas are not enforced (pqnoenforce)" };
    // quotactl names the filesystem by a block device: a node of the data root's own device (dockerd's backingFsBlockDev).
    const device = join(root, 'backingFsBlockDev');
    try {
      const dev = statSync(root, { bigint: true }).dev;
      const major = Number(((dev >> 8n) & 0xfffn) | ((dev >> 32n) & ~0xfffn));
      const minor = Number((dev & 0xffn) | ((dev >> 12n) & ~0xffn));
      // A node left by a berthd of another boot may name another device number: made anew.
      rmSync(device, { force: true });
      mknod(device, S_IFBLK | 0o600, major, minor);
      // Ids above the data root's own (dockerd starts one past the project of its home).
      const base = projectId(root) + 1;
      setProjectLimit(device, base, 0);
      const q = new ProjectQuotas(device, base);
      for (const id of existsSync(containers) ? readdirSync(containers) : []) {
        const upper = join(containers, id, 'upper');
        if (existsSync(upper)) q.used.add(projectId(upper));
      }
      return q;
    } catch (e) {
      return { reason: e instanceof Error ? e.message : String(e) };
    }
  }

  /**
   * A project id no layer has: none known in use, and none the filesystem holds a limit or usage
   * for (a remapped area's layers, or one whose removal was interrupted, are not in `used`).
   */
  private take(): number {
    for (;;) {
      const id = this.next++;
      if (this.used.has(id) || this.accounted(id)) continue;
      this.used.add(id);
      return id;
    }
  }

  private accounted(id: number): boolean {
    try {
      const u = projectUsage(this.device, id);
      return u.limitBytes > 0 || u.usedBytes > 0;
    } catch {
      // No quota record for the id (ENOENT): nothing holds it.
      return false;
    }
  }

  /** Gives fresh, empty directories (a container's upper/ and work/) one new project limited to `bytes`. */
  limit(dirs: string[], bytes: number): number {
    const id = this.take();
    try {
      for (const d of dirs) setProjectId(d, id);
      setProjectLimit(this.device, id, bytes);
    } catch (e) {
      this.used.delete(id);
      throw e;
    }
    return id;
  }

  /** Lifts the limit of the project `dir` belongs to (a container's upper/ being removed) and frees its id. */
  release(dir: string): void {
    if (!existsSync(dir)) return;
    const id = projectId(dir);
    if (id < this.base) return;
    setProjectLimit(this.device, id, 0);
    this.used.delete(id);
  }

  /** The limit and usage of the project of `dir` (undefined: it has none of berth's). */
  usage(dir: string): { id: number; limitBytes: number; usedBytes: number } | undefined {
    const id = projectId(dir);
    if (id < this.base) return undefined;
    return { id, ...projectUsage(this.device, id) };
  }

  async close(): Promise<void> {
    await rm(this.device, { force: true });
  }
}
