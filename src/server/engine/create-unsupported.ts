import { InvalidArgument } from '../../errdefs/index.js';

/*
 * The fields of Docker's ContainerCreate body (API 1.41-1.47) that berth does not implement yet.
 * The docker CLI sends every field with its zero value, so a field counts as asked for only when
 * it differs from the values listed as accepted (or, with none listed, from every zero value).
 * Asked for, it is refused with a 400 naming it: a container that silently lacks what its user asked
 * for is worse than an error. Fields berth implements are parsed in dialect/create.ts.
 */
interface Unsupported {
  /** Values that ask for nothing berth lacks (beyond the zero values). */
  accept?: readonly unknown[];
  /** Only null and absence ask for nothing (an empty list means something: MaskedPaths [] unmasks all). */
  onlyNullIsZero?: boolean;
  why: string;
}

const HOST_CONFIG: Record<string, Unsupported> = {
  VolumeDriver: { accept: ['local'], why: 'berth has only the local volume driver' },
  Cgroup: { why: 'joining another container\'s cgroup is not implemented' },
  Isolation: { accept: ['default'], why: 'isolation modes are a Windows feature' },
  KernelMemory: { why: 'kernel memory limits are deprecated and not implemented' },
  KernelMemoryTCP: { why: 'kernel TCP memory limits are not implemented' },
  CpuCount: { why: 'CpuCount is a Windows option' },
  CpuPercent: { why: 'CpuPercent is a Windows option' },
  IOMaximumIOps: { why: 'IOMaximumIOps is a Windows option' },
  IOMaximumBandwidth: { why: 'IOMaximumBandwidth is a Windows option' },
  MaskedPaths: { onlyNullIsZero: true, why: 'berth masks its default paths; choosing them is not implemented yet' },
  ReadonlyPaths: { onlyNullIsZero: true, why: 'berth makes its default paths read-only; choosing them is not implemented yet' },
};

const CONFIG: Record<string, Unsupported> = {
  NetworkDisabled: { why: 'use NetworkMode "none" to run without a network' },
};

const ENDPOINT: Record<string, Unsupported> = {
  DriverOpts: { why: 'endpoint driver options are not implemented' },
};


/** null, undefined, '', 0, false, [] and {} ask for nothing. */
function isZero(v: unknown): boolean {
  if (v === null || v === undefined || v === '' || v === 0 || v === false) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v === 'object') return Object.keys(v).length === 0;
  return false;
}

function check(where: string, o: Record<string, unknown>, table: Record<string, Unsupported>): void {
  for (const [field, u] of Object.entries(table)) {
    const v = o[field];
    if ((u.onlyNullIsZero ? v === null || v === undefined : isZero(v)) || u.accept?.includes(v)) continue;
    throw new InvalidArgument(`${where}${field} ${JSON.stringify(v)} is not supported by berth: ${u.why}`);
  }
}

function record(v: unknown): Record<string, unknown> | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
}

/** Throws InvalidArgument naming the first field of a ContainerCreate body that berth would not honour. */
export function refuseUnsupportedCreateFields(body: Record<string, unknown>): void {
  check('Config.', body, CONFIG);
  check('HostConfig.', record(body['HostConfig']) ?? {}, HOST_CONFIG);
  for (const [name, ep] of Object.entries(record(record(body['NetworkingConfig'])?.['EndpointsConfig']) ?? {})) {
    const e = record(ep) ?? {};
    // IPAMConfig's fields (IPv4Address, IPv6Address, LinkLocalIPs) are all implemented.
    check(`NetworkingConfig.EndpointsConfig.${name}.`, e, ENDPOINT);
  }
}
