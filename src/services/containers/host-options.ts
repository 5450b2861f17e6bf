import { existsSync } from 'node:fs';
import { InvalidArgument } from '../../errdefs/index.js';
import { parseSeccompProfile } from '../../core/runtime/index.js';
import type { ContainerResources, SeccompProfile } from '../../core/runtime/index.js';
import type { HostConfig } from '../../core/metadata/index.js';

const MIN_MEMORY = 6 * 1024 * 1024;

function num(v: unknown): number | undefined {
  return typeof v === 'number' && Number.isFinite(v) && v !== 0 ? v : undefined;
}

/** cgroup limits from Docker's HostConfig (-m, --memory-swap, --cpus, --cpu-shares, --cpuset-cpus, --pids-limit). */
export function resourcesFromHostConfig(hc: Record<string, unknown>): ContainerResources {
  const r: ContainerResources = {};
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
  if (nano !== undefined) {
    if (quota !== undefined || period !== undefined) throw new InvalidArgument('Conflicting options: Nano CPUs and CPU Period cannot both be set');
    r.cpuPeriod = 100_000;
    r.cpuQuota = Math.round((nano * 100_000) / 1e9);
  } else {
    if (quota !== undefined) r.cpuQuota = quota;
    if (period !== undefined) r.cpuPeriod = period;
  }
  if (typeof hc['CpusetCpus'] === 'string' && hc['CpusetCpus'] !== '') r.cpusetCpus = hc['CpusetCpus'];
  const pids = num(hc['PidsLimit']);
  if (pids !== undefined && pids > 0) r.pidsLimit = pids;
  return r;
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

/** The init for `--init`: a static tini or catatonit from the host, mounted at /sbin/docker-init as Docker does. */
export function initBinary(): string {
  for (const p of ['/usr/bin/tini-static', '/usr/bin/catatonit']) if (existsSync(p)) return p;
  throw new InvalidArgument('--init needs tini-static or catatonit on the host (Debian packages tini, catatonit)');
}

export const INIT_PATH = '/sbin/docker-init';

export interface SecurityOptions {
  noNewPrivileges: boolean;
  /** Absent: the daemon's default profile (`seccomp=builtin` asks for it too). */
  seccomp?: SeccompProfile | 'unconfined';
}

/**
 * --security-opt as Docker's daemon reads it: no-new-privileges, and seccomp=unconfined|builtin|<profile JSON>
 * (the docker CLI reads a profile file itself and sends its content inline).
 */
export function securityFromHostConfig(hc: Record<string, unknown>): SecurityOptions {
  const opts = Array.isArray(hc['SecurityOpt']) ? (hc['SecurityOpt'] as unknown[]).map(String) : [];
  const out: SecurityOptions = { noNewPrivileges: false };
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
        if (v === 'unconfined') out.seccomp = 'unconfined';
        else if (v === 'builtin' || v === '') delete out.seccomp;
        else if (!v.trimStart().startsWith('{')) {
          throw new InvalidArgument(`invalid --security-opt ${JSON.stringify(o)}: seccomp takes unconfined, builtin or the profile's JSON text (the docker CLI reads a profile file and sends its content)`);
        } else out.seccomp = parseSeccompProfile(v);
        break;
      case 'apparmor':
        if (v !== 'unconfined') throw new InvalidArgument(`apparmor is not supported on this host: ${o}`);
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

export interface DeviceRequest {
  pathOnHost: string;
  pathInContainer: string;
  permissions: string;
}

export function devicesFromHostConfig(hc: Record<string, unknown>): DeviceRequest[] {
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

/**
 * docker update: the new HostConfig fields (limits, restart policy) checked as at create. Sets the
 * restart policy on `hc`; returns the raw HostConfig to store and the limits to apply.
 */
export function applyUpdate(hc: HostConfig, changes: Record<string, unknown>): { raw: Record<string, unknown>; resources: ContainerResources } {
  const keys = ['Memory', 'MemorySwap', 'MemoryReservation', 'CpuShares', 'NanoCpus', 'CpuQuota', 'CpuPeriod', 'CpusetCpus', 'PidsLimit'];
  const raw = { ...hc.raw };
  for (const k of keys) if (changes[k] !== undefined && changes[k] !== null) raw[k] = changes[k];
  if (changes['NanoCpus']) {
    delete raw['CpuQuota'];
    delete raw['CpuPeriod'];
  }
  const resources = resourcesFromHostConfig(raw);
  const rp = changes['RestartPolicy'] as { Name?: string; MaximumRetryCount?: number } | undefined;
  if (rp?.Name) {
    if (!['no', 'always', 'on-failure', 'unless-stopped'].includes(rp.Name)) throw new InvalidArgument(`invalid restart policy: ${rp.Name}`);
    if (hc.autoRemove && rp.Name !== 'no') throw new InvalidArgument('Restart policy cannot be updated because AutoRemove is enabled for the container');
    hc.restartPolicy = { name: rp.Name, maximumRetryCount: rp.MaximumRetryCount ?? 0 };
    raw['RestartPolicy'] = { Name: rp.Name, MaximumRetryCount: rp.MaximumRetryCount ?? 0 };
  }
  return { raw, resources };
}
