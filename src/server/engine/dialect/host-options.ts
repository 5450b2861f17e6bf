import { InvalidArgument } from '../../../errdefs/index.js';
import type { CreateSpec, DeviceSpec, ResourceSpec, SecuritySpec } from '../../../services/index.js';
import { moreLimitsFromHostConfig, moreLimitsToWire } from './limits.js';

/*
 * HostConfig's limits and security options, checked as dockerd checks them at create, into the
 * typed spec. The spec keeps what was asked (NanoCpus stays nanoCpus); the container service turns
 * it into cgroup values.
 */

const MIN_MEMORY = 6 * 1024 * 1024;

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v !== 0 ? v : undefined;
}

/** cgroup and process limits from Docker's HostConfig (-m, --memory-swap, --memory-swappiness, --cpus, --cpu-shares, --cpuset-cpus/-mems, --pids-limit, --ulimit, --shm-size, --cgroup-parent). */
export function resourcesFromHostConfig(hc: Record<string, unknown>): ResourceSpec {
  const r: ResourceSpec = { ulimits: ulimitsFromHostConfig(hc) };
  const memory = num(hc['Memory']);
  if (memory !== undefined) {
    if (memory < MIN_MEMORY) throw new InvalidArgument('Minimum memory limit allowed is 6MB');
    r.memory = memory;
  }
  const swap = num(hc['MemorySwap']);
  if (swap !== undefined) {
    if (memory === undefined && swap > 0) throw new InvalidArgument('You should always set the Memory limit when using Memoryswap limit');
    if (swap > 0 && memory !== undefined && swap < memory) throw new InvalidArgument('Minimum memoryswap limit should be larger than memory limit, see usage');
    r.memorySwap = swap;
  }
  const reservation = num(hc['MemoryReservation']);
  if (reservation !== undefined) r.memoryReservation = reservation;
  const shares = num(hc['CpuShares']);
  if (shares !== undefined) r.cpuShares = shares;
  const nano = num(hc['NanoCpus']);
  const quota = num(hc['CpuQuota']);
  const period = num(hc['CpuPeriod']);
  if (nano !== undefined && (quota !== undefined || period !== undefined)) throw new InvalidArgument('Conflicting options: Nano CPUs and CPU Period cannot both be set');
  if (nano !== undefined) r.nanoCpus = nano;
  if (quota !== undefined) r.cpuQuota = quota;
  if (period !== undefined) r.cpuPeriod = period;
  if (typeof hc['CpusetCpus'] === 'string' && hc['CpusetCpus'] !== '') r.cpusetCpus = hc['CpusetCpus'];
  if (typeof hc['CpusetMems'] === 'string' && hc['CpusetMems'] !== '') r.cpusetMems = hc['CpusetMems'];
  const swappiness = swappinessOf(hc['MemorySwappiness']);
  if (swappiness !== undefined) r.memorySwappiness = swappiness;
  const parent = hc['CgroupParent'];
  if (parent !== undefined && parent !== null && typeof parent !== 'string') throw new InvalidArgument('HostConfig.CgroupParent must be a string');
  if (parent) r.cgroupParent = parent;
  if (typeof hc['PidsLimit'] === 'number' && Number.isFinite(hc['PidsLimit'])) r.pidsLimit = hc['PidsLimit'];
  if (typeof hc['ShmSize'] === 'number' && hc['ShmSize'] > 0) r.shmSize = hc['ShmSize'];
  return { ...r, ...moreLimitsFromHostConfig(hc) };
}

/** MemorySwappiness: -1 (what the docker CLI sends by default) and null inherit; else 0..100, in dockerd's words. */
function swappinessOf(v: unknown): number | undefined {
  if (v === undefined || v === null || v === -1) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 100) throw new InvalidArgument(`Invalid value: ${String(v)}, valid memory swappiness range is 0-100`);
  return v;
}

export function ulimitsFromHostConfig(hc: Record<string, unknown>): { name: string; soft: number; hard: number }[] {
  const list = hc['Ulimits'];
  if (!Array.isArray(list)) return [];
  return list.map((u: unknown) => {
    const o = (u ?? {}) as Record<string, unknown>;
    if (typeof o['Name'] !== 'string' || typeof o['Soft'] !== 'number' || typeof o['Hard'] !== 'number') throw new InvalidArgument(`invalid ulimit: ${JSON.stringify(u)}`);
    if (o['Soft'] > o['Hard']) throw new InvalidArgument(`ulimit soft limit must be less than or equal to hard limit: ${o['Soft']} > ${o['Hard']}`);
    return { name: o['Name'], soft: o['Soft'], hard: o['Hard'] };
  });
}

/**
 * --security-opt as Docker's daemon reads it: no-new-privileges, and seccomp=unconfined|builtin|<profile JSON>
 * (the docker CLI reads a profile file itself and sends its content inline; the container service
 * checks the profile).
 */
export function securityOptsFromHostConfig(hc: Record<string, unknown>): Pick<SecuritySpec, 'noNewPrivileges' | 'seccomp' | 'apparmor'> {
  const opts = Array.isArray(hc['SecurityOpt']) ? (hc['SecurityOpt'] as unknown[]).map(String) : [];
  const out: Pick<SecuritySpec, 'noNewPrivileges' | 'seccomp' | 'apparmor'> = { noNewPrivileges: false, seccomp: { mode: 'default' } };
  for (const o of opts) {
    if (o === 'no-new-privileges') {
      out.noNewPrivileges = true;
      continue;
    }
    const sep = o.includes('=') ? '=' : ':';
    const at = o.indexOf(sep);
    if (at < 0) throw new InvalidArgument(`invalid --security-opt: ${JSON.stringify(o)}`);
    const k = o.slice(0, at);
    const v = o.slice(at + 1);
    switch (k) {
      case 'no-new-privileges':
        if (!['true', 'false', '1', '0'].includes(v)) throw new InvalidArgument(`invalid --security-opt: ${JSON.stringify(o)}: no-new-privileges takes true or false`);
        out.noNewPrivileges = v === 'true' || v === '1';
        break;
      case 'seccomp':
        if (v === 'unconfined') out.seccomp = { mode: 'unconfined' };
        else if (v === 'builtin' || v === '') out.seccomp = { mode: 'default' };
        else if (!v.trimStart().startsWith('{')) {
          throw new InvalidArgument(`invalid --security-opt ${JSON.stringify(o)}: seccomp takes unconfined, builtin or the profile's JSON text (the docker CLI reads a profile file and sends its content)`);
        } else out.seccomp = { mode: 'profile', profile: v };
        break;
      case 'apparmor':
        if (v !== 'unconfined') throw new InvalidArgument(`apparmor is not supported on this host: ${o}`);
        out.apparmor = 'unconfined';
        break;
      case 'label':
        throw new InvalidArgument(`label is not supported on this host: ${o}`);
      default:
        throw new InvalidArgument(`invalid --security-opt: ${JSON.stringify(o)}`);
    }
  }
  return out;
}

export function sysctlsFromHostConfig(hc: Record<string, unknown>): Record<string, string> {
  const s = hc['Sysctls'];
  if (!s || typeof s !== 'object' || Array.isArray(s)) return {};
  return Object.fromEntries(Object.entries(s as Record<string, unknown>).map(([k, v]) => [k, String(v)]));
}

/** HostConfig.Annotations (API 1.43+, docker run --annotation): OCI annotations, strings by non-empty keys. */
export function annotationsFromHostConfig(hc: Record<string, unknown>): Record<string, string> {
  const a = hc['Annotations'];
  if (a === undefined || a === null) return {};
  if (typeof a !== 'object' || Array.isArray(a)) throw new InvalidArgument('invalid Annotations: expected an object of strings');
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(a as Record<string, unknown>)) {
    if (k === '') throw new InvalidArgument('invalid Annotations: the empty string is not permitted as an annotation key');
    if (typeof v !== 'string') throw new InvalidArgument(`invalid Annotations: the value of ${JSON.stringify(k)} must be a string`);
    out[k] = v;
  }
  return out;
}

export function devicesFromHostConfig(hc: Record<string, unknown>): DeviceSpec[] {
  const list = hc['Devices'];
  if (!Array.isArray(list)) return [];
  return list.map((d: unknown) => {
    const o = (d ?? {}) as Record<string, unknown>;
    const host = typeof o['PathOnHost'] === 'string' ? o['PathOnHost'] : '';
    if (!host.startsWith('/')) throw new InvalidArgument(`invalid device: ${JSON.stringify(d)}`);
    const inCtr = typeof o['PathInContainer'] === 'string' && o['PathInContainer'] !== '' ? o['PathInContainer'] : host;
    const perms = typeof o['CgroupPermissions'] === 'string' && o['CgroupPermissions'] !== '' ? o['CgroupPermissions'] : 'rwm';
    if (!/^[rwm]{1,3}$/.test(perms)) throw new InvalidArgument(`invalid device mode: ${perms}`);
    return { pathOnHost: host, pathInContainer: inCtr, permissions: perms };
  });
}

export function groupAddFromHostConfig(hc: Record<string, unknown>): string[] {
  return Array.isArray(hc['GroupAdd']) ? (hc['GroupAdd'] as unknown[]).map(String) : [];
}

export type RestartPolicy = { name: 'no' | 'always' | 'on-failure' | 'unless-stopped'; maximumRetryCount: number };

/** What `docker update` asks for: new limits (merged over the container's, checked as at create) and a restart policy. */
export interface UpdateRequest {
  resources?: ResourceSpec;
  restartPolicy?: RestartPolicy;
}

const UPDATE_KEYS = ['Memory', 'MemorySwap', 'MemoryReservation', 'CpuShares', 'NanoCpus', 'CpuQuota', 'CpuPeriod', 'CpusetCpus', 'CpusetMems', 'PidsLimit', 'BlkioWeight', 'CpuRealtimePeriod', 'CpuRealtimeRuntime'] as const;

/** The limits of a spec in HostConfig's words, so an update can be merged and checked by the create rules. */
export function resourcesToWire(r: ResourceSpec): Record<string, unknown> {
  // OomScoreAdj, OomKillDisable, real-time CPU and block I/O: kept through an update of the others.
  const out: Record<string, unknown> = moreLimitsToWire(r);
  if (r.memory !== undefined) out['Memory'] = r.memory;
  if (r.memorySwap !== undefined) out['MemorySwap'] = r.memorySwap;
  if (r.memoryReservation !== undefined) out['MemoryReservation'] = r.memoryReservation;
  if (r.cpuShares !== undefined) out['CpuShares'] = r.cpuShares;
  if (r.nanoCpus !== undefined) out['NanoCpus'] = r.nanoCpus;
  if (r.cpuQuota !== undefined) out['CpuQuota'] = r.cpuQuota;
  if (r.cpuPeriod !== undefined) out['CpuPeriod'] = r.cpuPeriod;
  if (r.cpusetCpus !== undefined) out['CpusetCpus'] = r.cpusetCpus;
  if (r.cpusetMems !== undefined) out['CpusetMems'] = r.cpusetMems;
  if (r.memorySwappiness !== undefined) out['MemorySwappiness'] = r.memorySwappiness;
  // Not an update's to change (dockerd keeps it too): carried so the merged spec keeps it.
  if (r.cgroupParent !== undefined) out['CgroupParent'] = r.cgroupParent;
  if (r.pidsLimit !== undefined) out['PidsLimit'] = r.pidsLimit;
  if (r.shmSize !== undefined) out['ShmSize'] = r.shmSize;
  out['Ulimits'] = r.ulimits.map((u) => ({ Name: u.name, Soft: u.soft, Hard: u.hard }));
  return out;
}

/** docker update's body (limits, restart policy) over the container's current spec, checked as at create. */
export function updateFromWire(current: CreateSpec, changes: Record<string, unknown>): UpdateRequest {
  const out: UpdateRequest = {};
  // Fixed at create (dockerd takes and ignores them in an update's Resources): refused, not ignored, when they would change.
  const fixed: [string, unknown][] = [['CgroupParent', current.resources.cgroupParent ?? ''], ['MemorySwappiness', current.resources.memorySwappiness ?? -1]];
  for (const [k, now] of fixed) {
    const v = changes[k];
    if (v !== undefined && v !== null && v !== '' && v !== now && !(k === 'MemorySwappiness' && v === -1 && now === -1)) {
      throw new InvalidArgument(`HostConfig.${k} cannot be changed by docker update (it is fixed when the container is created)`);
    }
  }
  // As dockerd: a zero (what the docker CLI sends for every flag not given) leaves a limit as it is; PidsLimit 0 or less lifts it.
  const asked = (k: (typeof UPDATE_KEYS)[number]): boolean => changes[k] !== undefined && changes[k] !== null && (k === 'PidsLimit' || (changes[k] !== 0 && changes[k] !== ''));
  if (UPDATE_KEYS.some(asked)) {
    const merged = resourcesToWire(current.resources);
    for (const k of UPDATE_KEYS) if (asked(k)) merged[k] = changes[k];
    if (changes['NanoCpus']) {
      delete merged['CpuQuota'];
      delete merged['CpuPeriod'];
    }
    out.resources = resourcesFromHostConfig(merged);
  }
  const rp = changes['RestartPolicy'] as { Name?: string; MaximumRetryCount?: number } | undefined;
  if (rp?.Name) {
    if (!['no', 'always', 'on-failure', 'unless-stopped'].includes(rp.Name)) throw new InvalidArgument(`invalid restart policy: ${rp.Name}`);
    if (current.lifecycle.autoRemove && rp.Name !== 'no') throw new InvalidArgument('Restart policy cannot be updated because AutoRemove is enabled for the container');
    out.restartPolicy = { name: rp.Name as RestartPolicy['name'], maximumRetryCount: rp.MaximumRetryCount ?? 0 };
  }
  return out;
}
