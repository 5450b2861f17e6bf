import { InvalidArgument, NotImplemented } from '../../errdefs/index.js';

/** The query fields of POST /build that decide how the RUN containers are made, typed. */
export interface BuildQueryOptions {
  /** --add-host entries, "host:ip". */
  extraHosts: string[];
  /** default (the bridge), none, host, or a network's name. */
  networkMode: string;
  /** Images whose history may stand in for the local cache (--cache-from). */
  cacheFrom: string[];
  /** rm=0 (and no forcerm): the RUN containers are kept, as Docker keeps them. */
  keepContainers: boolean;
  /** /dev/shm of the RUN containers in bytes; absent: Docker's 64 MB. */
  shmSize?: number;
  /** ?platform=: the platform the stages are built for (one platform: berth makes no manifest lists). */
  platform?: string;
}

function truthy(q: URLSearchParams, name: string): boolean {
  const v = q.get(name);
  return v !== null && v !== '' && !['0', 'false', 'no', 'off'].includes(v.toLowerCase());
}

/** A JSON list of strings; null, empty and "[]" are none. */
function jsonList(q: URLSearchParams, name: string, what: string): string[] {
  const raw = q.get(name);
  if (!raw || raw === 'null') return [];
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch (e) {
    throw new InvalidArgument(`error reading ${what}: ${(e as Error).message}`, { cause: e });
  }
  if (v === null) return [];
  if (!Array.isArray(v)) throw new InvalidArgument(`error reading ${what}: expected a JSON list`);
  return v.map(String);
}

/** Numbers and lists the classic builder would give its RUN containers; berth's RUN containers take none of them yet. */
const REFUSED_NUMBERS: [string, string][] = [
  ['memory', '--memory'],
  ['memswap', '--memory-swap'],
  ['cpushares', '--cpu-shares'],
  ['cpuperiod', '--cpu-period'],
  ['cpuquota', '--cpu-quota'],
];
const REFUSED_STRINGS: [string, string][] = [
  ['cpusetcpus', '--cpuset-cpus'],
  ['cpusetmems', '--cpuset-mems'],
  ['cgroupparent', '--cgroup-parent'],
  ['session', 'session'],
];

/**
 * The POST /build query fields beside the Dockerfile, tags, args, target and labels: the ones berth
 * does are translated, the others refused naming them (never taken and ignored). Messages as
 * dockerd's where it refuses the same thing.
 */
export function buildQueryOptions(q: URLSearchParams): BuildQueryOptions {
  if (q.getAll('securityopt').some((s) => s !== '')) throw new InvalidArgument('security options are not supported on linux');
  if (truthy(q, 'squash')) throw new InvalidArgument('squash is only supported with experimental mode');
  const isolation = q.get('isolation') ?? '';
  if (isolation !== '' && isolation !== 'default') throw new InvalidArgument(`unsupported isolation: "${isolation}"`);
  const version = q.get('version') ?? '';
  if (version === '2') throw new NotImplemented('berth has only the classic builder (version 1): BuildKit is not supported');
  if (version !== '' && version !== '1') throw new InvalidArgument(`invalid version "${version}"`);
  for (const [k, flag] of REFUSED_NUMBERS) {
    const v = q.get(k);
    if (v !== null && v !== '' && v !== '0') throw new NotImplemented(`${k} (${flag}) is not supported for builds by berth`);
  }
  for (const [k, flag] of REFUSED_STRINGS) {
    if (q.get(k)) throw new NotImplemented(`${k}${flag !== k ? ` (${flag})` : ''} is not supported for builds by berth`);
  }
  const ulimits = q.get('ulimits');
  if (ulimits && ulimits !== 'null' && ulimits !== '[]') throw new NotImplemented('ulimits (--ulimit) are not supported for builds by berth');
  const outputs = q.get('outputs');
  if (outputs && outputs !== 'null' && outputs !== '[]') throw new NotImplemented('outputs need BuildKit, which berth does not have');
  const out: BuildQueryOptions = {
    extraHosts: q.getAll('extrahosts').filter((h) => h !== ''),
    networkMode: q.get('networkmode') || 'default',
    cacheFrom: jsonList(q, 'cachefrom', 'cache-from'),
    keepContainers: q.get('rm') !== null && q.get('rm') !== '' && !truthy(q, 'rm') && !truthy(q, 'forcerm'),
  };
  for (const h of out.extraHosts) if (!/^[^:=\s]+[:=]\S+$/.test(h)) throw new InvalidArgument(`invalid IP address in add-host: "${h}"`);
  const platform = q.get('platform') ?? '';
  if (platform.includes(',')) throw new NotImplemented(`berth builds one platform at a time, not ${platform}`);
  if (platform && !/^[a-z0-9]+(\/[a-z0-9_]+(\/[a-z0-9]+)?)?$/i.test(platform)) throw new InvalidArgument(`invalid platform "${platform}": expected os[/arch[/variant]], e.g. linux/amd64`);
  if (platform) out.platform = platform;
  const shm = q.get('shmsize');
  if (shm !== null && shm !== '' && shm !== '0') {
    const n = Number(shm);
    if (!Number.isSafeInteger(n) || n < 0) throw new InvalidArgument(`strconv.ParseInt: parsing "${shm}": invalid syntax`);
    out.shmSize = n;
  }
  return out;
}
