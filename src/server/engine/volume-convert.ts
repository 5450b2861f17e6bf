import type { ContainerRecord, VolumeService, VolumeView } from '../../services/index.js';

/** A container's mounts as `inspect` and `ps` show them (tmpfs from HostConfig.Tmpfs is not listed, as in Docker). */
export function wireMounts(c: ContainerRecord): Record<string, unknown>[] {
  return (c.mounts ?? [])
    .filter((m) => m.type !== 'tmpfs' || m.fromMountsApi)
    .map((m) => {
      const out: Record<string, unknown> = { Type: m.type };
      if (m.name !== undefined) out['Name'] = m.name;
      out['Source'] = m.source;
      out['Destination'] = m.destination;
      if (m.driver !== undefined) out['Driver'] = m.driver;
      out['Mode'] = m.mode;
      out['RW'] = m.rw;
      out['Propagation'] = m.propagation;
      return out;
    });
}

/** Docker's Volume object. */
export function wireVolume(v: VolumeView, usage?: { size: number; refCount: number }): Record<string, unknown> {
  const out: Record<string, unknown> = {
    CreatedAt: v.created.replace(/\.\d+Z$/, 'Z'),
    Driver: v.driver,
    Labels: v.labels,
    Mountpoint: v.mountpoint,
    Name: v.name,
    Options: v.options,
    Scope: v.scope,
  };
  if (usage) out['UsageData'] = { Size: usage.size, RefCount: usage.refCount };
  return out;
}

/** The Volumes of `GET /system/df`: each volume with its size and how many containers use it. */
export async function volumesDiskUsage(svc: VolumeService | undefined): Promise<Record<string, unknown>[]> {
  if (!svc) return [];
  const out: Record<string, unknown>[] = [];
  // A volume whose size cannot be read (removed meanwhile, unreadable) counts as -1, Docker's "unknown".
  for (const v of svc.list()) out.push(wireVolume(v, { size: await svc.size(v.name).catch(() => -1), refCount: svc.containersUsing(v.name).length }));
  return out;
}
