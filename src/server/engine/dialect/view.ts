/*
 * The part of a create request the Docker dialect keeps beside the spec, to show it back in the
 * client's own spelling: the option strings and objects that the spec holds parsed (a bind's
 * `src:dst:mode`, --mount objects, --security-opt strings, device rules, DNS lists), the fields that
 * only echo (ContainerIDFile, ConsoleSize, VolumeDriver "local", Isolation "default") and the zero
 * values a client sends for what berth refuses ([] and null differ on the wire). The keys inspect
 * renders from the spec are not kept. It is stored on the record as `views.docker`, which nothing
 * below server/ reads; behaviour comes from the spec alone.
 */
/** The HostConfig keys inspect renders from the spec (host-config.ts); every other key is echoed. */
export const RENDERED_KEYS: ReadonlySet<string> = new Set([
  'LogConfig', 'NetworkMode', 'PortBindings', 'RestartPolicy', 'AutoRemove', 'CapAdd', 'CapDrop', 'CgroupnsMode', 'IpcMode',
  'Links', 'Privileged', 'PublishAllPorts', 'ReadonlyRootfs', 'UsernsMode', 'ShmSize', 'Runtime', 'Init', 'Sysctls',
  'CpuShares', 'Memory', 'NanoCpus', 'CpuPeriod', 'CpuQuota', 'CpusetCpus', 'MemoryReservation', 'MemorySwap', 'OomKillDisable', 'PidsLimit',
  'MaskedPaths', 'ReadonlyPaths',
]);

/** The keys of a HostConfig inspect echoes (undefined: none). */
export function dockerView(hc: Record<string, unknown>): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(hc)) if (!RENDERED_KEYS.has(k) && v !== undefined) out[k] = v;
  return Object.keys(out).length ? out : undefined;
}
