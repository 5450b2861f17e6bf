import { InvalidArgument } from '../../errdefs/index.js';
import type { ResourceSpec } from '../../core/metadata/index.js';
import type { CgroupFeatures } from '../../core/runtime/index.js';

/*
 * --cpuset-cpus/--cpuset-mems and --memory-swappiness against what this host's cgroups offer,
 * with dockerd's words (verifyPlatformContainerResources).
 */

/** A cpuset list (`0-3,5`) as its numbers; undefined when it is not one (parsers.ParseUintList's rules). */
export function parseCpuList(list: string): Set<number> | undefined {
  const out = new Set<number>();
  if (list === '') return out;
  for (const part of list.split(',')) {
    const m = /^(\d+)(?:-(\d+))?$/.exec(part);
    if (!m) return undefined;
    const lo = Number(m[1]);
    const hi = m[2] === undefined ? lo : Number(m[2]);
    if (hi < lo || hi - lo > 1 << 16) return undefined;
    for (let i = lo; i <= hi; i++) out.add(i);
  }
  return out;
}

function checkList(asked: string | undefined, available: string | undefined, what: 'cpus' | 'mems'): void {
  if (asked === undefined || asked === '') return;
  if (available === undefined) throw new InvalidArgument(`Your kernel does not support cpuset or the cgroup is not mounted: --cpuset-${what} is refused`);
  const want = parseCpuList(asked);
  if (!want) throw new InvalidArgument(`Invalid value ${asked} for cpuset ${what}`);
  const have = parseCpuList(available) ?? new Set<number>();
  if ([...want].some((n) => !have.has(n))) {
    throw new InvalidArgument(what === 'cpus' ? `Requested CPUs are not available - requested ${asked}, available: ${available}` : `Requested memory nodes are not available - requested ${asked}, available: ${available}`);
  }
}

/** Refuses a cpuset or swappiness the host cannot give; where dockerd warns and drops swappiness, berth refuses in its words. */
export function checkCpusetAndSwappiness(r: ResourceSpec, f: CgroupFeatures): void {
  checkList(r.cpusetCpus, f.cpusetCpus, 'cpus');
  checkList(r.cpusetMems, f.cpusetMems, 'mems');
  if (r.memorySwappiness !== undefined && !f.memorySwappiness) {
    throw new InvalidArgument('Your kernel does not support memory swappiness capabilities or the cgroup is not mounted. Memory swappiness discarded. (berth refuses --memory-swappiness here rather than drop it)');
  }
}
