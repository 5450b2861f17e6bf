import { existsSync } from 'node:fs';
import { InvalidArgument } from '../../errdefs/index.js';
import type { ContainerRecord, ResourceSpec } from '../../core/metadata/index.js';
import type { ContainerResources } from '../../core/runtime/index.js';

/** The cgroup values of a spec's limits: CPUs in billionths become a quota over a 100 ms period. */
export function cgroupResources(r: ResourceSpec): ContainerResources {
  const out: ContainerResources = {};
  if (r.memory !== undefined) out.memory = r.memory;
  if (r.memorySwap !== undefined) out.memorySwap = r.memorySwap;
  if (r.memoryReservation !== undefined) out.memoryReservation = r.memoryReservation;
  if (r.cpuShares !== undefined) out.cpuShares = r.cpuShares;
  if (r.nanoCpus !== undefined) {
    out.cpuPeriod = 100_000;
    out.cpuQuota = Math.round((r.nanoCpus * 100_000) / 1e9);
  } else {
    if (r.cpuQuota !== undefined) out.cpuQuota = r.cpuQuota;
    if (r.cpuPeriod !== undefined) out.cpuPeriod = r.cpuPeriod;
  }
  if (r.cpusetCpus !== undefined) out.cpusetCpus = r.cpusetCpus;
  if (r.cpusetMems !== undefined) out.cpusetMems = r.cpusetMems;
  if (r.memorySwappiness !== undefined) out.memorySwappiness = r.memorySwappiness;
  if (r.pidsLimit !== undefined && r.pidsLimit > 0) out.pidsLimit = r.pidsLimit;
  if (r.oomKillDisable) out.oomKillDisable = true;
  if (r.cpuRealtimePeriod !== undefined) out.cpuRealtimePeriod = r.cpuRealtimePeriod;
  if (r.cpuRealtimeRuntime !== undefined) out.cpuRealtimeRuntime = r.cpuRealtimeRuntime;
  return out;
}

/** The cgroup a container's own is made under: its spec's, else the daemon default it was created with (absent: /berth). */
export function cgroupParentOf(rec: ContainerRecord): string | undefined {
  return rec.spec.resources.cgroupParent || rec.cgroupParent || undefined;
}

/**
 * A cgroup parent as dockerd's cgroupfs driver takes it (`mygroup`, `/a/b`), refused where it would
 * leave the cgroup tree or name no directory: `what` says whose it is (--cgroup-parent, daemon.json).
 */
export function checkCgroupParent(parent: string, what: string): void {
  const parts = parent.split('/').filter(Boolean);
  if (parts.some((p) => p === '.' || p === '..')) throw new InvalidArgument(`invalid ${what} ${JSON.stringify(parent)}: a cgroup parent may not contain "." or ".." (it would leave the cgroup tree)`);
  if (/[\x00-\x1f]/.test(parent)) throw new InvalidArgument(`invalid ${what} ${JSON.stringify(parent)}: a cgroup parent may not contain control characters`);
  if (parent.length > 4096) throw new InvalidArgument(`invalid ${what}: a cgroup parent may be at most 4096 characters long`);
}

/** The init for `--init`: a static tini or catatonit from the host, mounted at /sbin/docker-init as Docker does. */
export function initBinary(): string {
  for (const p of ['/usr/bin/tini-static', '/usr/bin/catatonit']) if (existsSync(p)) return p;
  throw new InvalidArgument('--init needs tini-static or catatonit on the host (Debian packages tini, catatonit)');
}

export const INIT_PATH = '/sbin/docker-init';
