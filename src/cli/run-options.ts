import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { ContainerCreateRequest, EndpointSettings, HostConfig, MountSpec, PortBinding, RestartPolicy, Ulimit } from '../api/index.js';
import { ramInBytes } from '../api/index.js';
import { InvalidArgument } from '../errdefs/index.js';
import { applyNamespaceLimitFlags, type NamespaceLimitFlags } from './run-limits.js';
import { applyRuntimeDeviceFlags, type RuntimeDeviceFlags } from './run-devices.js';

/** The `run`/`create` flags as commander hands them over (camelCase of the long names). */
export interface RunFlags extends NamespaceLimitFlags, RuntimeDeviceFlags {
  detach?: boolean;
  interactive?: boolean;
  tty?: boolean;
  rm?: boolean;
  name?: string;
  env?: string[];
  envFile?: string[];
  workdir?: string;
  user?: string;
  entrypoint?: string;
  hostname?: string;
  label?: string[];
  labelFile?: string[];
  attach?: string[];
  network?: string;
  networkAlias?: string[];
  link?: string[];
  ip?: string;
  ip6?: string;
  linkLocalIp?: string[];
  macAddress?: string;
  dns?: string[];
  dnsSearch?: string[];
  dnsOption?: string[];
  addHost?: string[];
  publish?: string[];
  publishAll?: boolean;
  expose?: string[];
  volume?: string[];
  volumesFrom?: string[];
  mount?: string[];
  restart?: string;
  stopSignal?: string;
  stopTimeout?: string;
  init?: boolean;
  privileged?: boolean;
  userns?: string;
  capAdd?: string[];
  capDrop?: string[];
  readOnly?: boolean;
  tmpfs?: string[];
  memory?: string;
  memoryReservation?: string;
  memorySwap?: string;
  shmSize?: string;
  cpus?: string;
  cpuShares?: string;
  cpuPeriod?: string;
  cpuQuota?: string;
  cpusetCpus?: string;
  cpusetMems?: string;
  memorySwappiness?: string;
  cgroupParent?: string;
  healthCmd?: string;
  healthInterval?: string;
  healthRetries?: string;
  healthStartPeriod?: string;
  healthTimeout?: string;
  healthcheck?: boolean;
  deviceCgroupRule?: string[];
  groupAdd?: string[];
  securityOpt?: string[];
  sysctl?: string[];
  annotation?: string[];
  logDriver?: string;
  logOpt?: string[];
  pidsLimit?: string;
  ulimit?: string[];
  platform?: string;
  pull?: string;
  sigProxy?: boolean | string;
  detachKeys?: string;
  /** docker's --cidfile: the new container's ID is written there (a file already there is refused). */
  cidfile?: string;
  /** docker's -q: no pull output. */
  quiet?: boolean;
}

export interface CreatePlan {
  body: ContainerCreateRequest;
  name: string | undefined;
  platform: string | undefined;
  pull: 'missing' | 'always' | 'never';
  /** Which of the container's streams the foreground run attaches to. */
  attachStdin: boolean;
  attachStdout: boolean;
  attachStderr: boolean;
}

/** `-e A=1` as is; `-e A` takes A from the caller's environment, or is dropped when unset. */
function envEntry(e: string, env: NodeJS.ProcessEnv): string | undefined {
  if (e.includes('=')) return e;
  const v = env[e];
  return v === undefined ? undefined : `${e}=${v}`;
}

function readLinesFile(file: string): string[] {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (e) {
    throw new InvalidArgument(`open ${file}: no such file or directory`, { cause: e });
  }
  return text.split(/\r?\n/).map((l) => l.trimStart()).filter((l) => l !== '' && !l.startsWith('#'));
}

/** JSON text without the whitespace between tokens; numbers stay as written (no float round trip). */
function compactJson(text: string): string {
  JSON.parse(text);
  let out = '';
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i] as string;
    if (inString) {
      out += c;
      if (c === '\\') out += text[++i] ?? '';
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
      out += c;
    } else if (!/\s/.test(c)) out += c;
  }
  return out;
}

/** As the docker CLI: `seccomp=FILE` is read here and its JSON sent inline (the daemon may not see the file). */
function securityOpt(opt: string): string {
  const sep = opt.includes('=') ? '=' : ':';
  const at = opt.indexOf(sep);
  const k = at < 0 ? opt : opt.slice(0, at);
  const v = at < 0 ? '' : opt.slice(at + 1);
  if (v === '' && k !== 'no-new-privileges') throw new InvalidArgument(`Invalid --security-opt: ${JSON.stringify(opt)}`);
  if (k !== 'seccomp' || v === 'builtin' || v === 'unconfined') return opt;
  let text: string;
  try {
    text = readFileSync(v, 'utf8');
  } catch (e) {
    throw new InvalidArgument(`opening seccomp profile (${v}) failed: ${(e as Error).message}`, { cause: e });
  }
  try {
    return `seccomp=${compactJson(text)}`;
  } catch (e) {
    throw new InvalidArgument(`compacting json for seccomp profile (${v}) failed: ${(e as Error).message}`, { cause: e });
  }
}

function parsePortRange(s: string, what: string): [number, number] {
  const m = /^(\d+)(?:-(\d+))?$/.exec(s);
  if (!m) throw new InvalidArgument(`invalid ${what}: ${s}`);
  const a = Number(m[1]);
  const b = m[2] === undefined ? a : Number(m[2]);
  if (a < 1 || b > 65535 || b < a) throw new InvalidArgument(`invalid ${what}: ${s}`);
  return [a, b];
}

/** `-p [ip:][hostPort:]containerPort[/proto]`, with ranges, as docker's nat.ParsePortSpec. */
export function parsePublish(spec: string, exposed: Record<string, Record<string, never>>, bindings: Record<string, PortBinding[]>): void {
  let rest = spec;
  let proto = 'tcp';
  const slash = rest.lastIndexOf('/');
  if (slash >= 0) {
    proto = rest.slice(slash + 1).toLowerCase();
    rest = rest.slice(0, slash);
    if (!['tcp', 'udp', 'sctp'].includes(proto)) throw new InvalidArgument(`invalid proto: ${proto}`);
  }
  let ip = '';
  let hostPart = '';
  let containerPart: string;
  const bracket = /^\[([^\]]+)\]:(.*)$/.exec(rest);
  if (bracket) {
    ip = bracket[1] ?? '';
    rest = bracket[2] ?? '';
  }
  const parts = rest.split(':');
  if (bracket) {
    if (parts.length !== 2) throw new InvalidArgument(`invalid port format for --publish: ${spec}`);
    hostPart = parts[0] ?? '';
    containerPart = parts[1] ?? '';
  } else if (parts.length === 1) {
    containerPart = parts[0] ?? '';
  } else if (parts.length === 2) {
    hostPart = parts[0] ?? '';
    containerPart = parts[1] ?? '';
  } else if (parts.length === 3) {
    ip = parts[0] ?? '';
    hostPart = parts[1] ?? '';
    containerPart = parts[2] ?? '';
  } else {
    throw new InvalidArgument(`invalid port format for --publish: ${spec}`);
  }
  if (containerPart === '') throw new InvalidArgument(`no port specified: ${spec}<empty>`);
  const [cStart, cEnd] = parsePortRange(containerPart, 'containerPort');
  let hStart = 0;
  let hEnd = 0;
  if (hostPart !== '') [hStart, hEnd] = parsePortRange(hostPart, 'hostPort');
  const count = cEnd - cStart + 1;
  if (hostPart !== '' && hEnd - hStart + 1 !== count && !(hEnd === hStart)) {
    throw new InvalidArgument(`invalid ranges specified for container and host Ports: ${containerPart} and ${hostPart}`);
  }
  for (let i = 0; i < count; i++) {
    const key = `${cStart + i}/${proto}`;
    exposed[key] = {};
    let hostPort = '';
    if (hostPart !== '') hostPort = hEnd - hStart + 1 === count ? String(hStart + i) : hEnd === hStart ? String(hStart) : `${hStart}-${hEnd}`;
    (bindings[key] ??= []).push({ HostIp: ip, HostPort: hostPort });
  }
}

/** `--mount type=bind,source=/a,target=/b,readonly`. */
export function parseMount(spec: string): MountSpec {
  const m: MountSpec = { Type: 'volume', Target: '' };
  for (const field of spec.split(',')) {
    const eq = field.indexOf('=');
    const key = (eq < 0 ? field : field.slice(0, eq)).trim().toLowerCase();
    const value = eq < 0 ? undefined : field.slice(eq + 1);
    const bool = (): boolean => value === undefined || ['1', 'true'].includes(value.toLowerCase());
    switch (key) {
      case 'type':
        if (!['bind', 'volume', 'tmpfs', 'npipe', 'cluster'].includes(value ?? '')) throw new InvalidArgument(`invalid value for 'type': ${value ?? ''}`);
        m.Type = value as MountSpec['Type'];
        break;
      case 'source': case 'src': m.Source = value ?? ''; break;
      case 'target': case 'destination': case 'dst': m.Target = value ?? ''; break;
      case 'readonly': case 'ro': m.ReadOnly = bool(); break;
      case 'consistency': m.Consistency = value ?? ''; break;
      case 'bind-propagation': m.BindOptions = { ...m.BindOptions, Propagation: value ?? '' }; break;
      case 'bind-nonrecursive': m.BindOptions = { ...m.BindOptions, NonRecursive: bool() }; break;
      case 'volume-nocopy': m.VolumeOptions = { ...m.VolumeOptions, NoCopy: bool() }; break;
      case 'volume-subpath': m.VolumeOptions = { ...m.VolumeOptions, Subpath: value ?? '' }; break;
      case 'volume-driver': m.VolumeOptions = { ...m.VolumeOptions, DriverConfig: { ...m.VolumeOptions?.DriverConfig, Name: value ?? '' } }; break;
      case 'volume-label': {
        const [k = '', v = ''] = (value ?? '').split('=', 2);
        m.VolumeOptions = { ...m.VolumeOptions, Labels: { ...m.VolumeOptions?.Labels, [k]: v } };
        break;
      }
      case 'volume-opt': {
        const [k = '', v = ''] = (value ?? '').split('=', 2);
        const dc = m.VolumeOptions?.DriverConfig ?? {};
        m.VolumeOptions = { ...m.VolumeOptions, DriverConfig: { ...dc, Options: { ...dc.Options, [k]: v } } };
        break;
      }
      case 'tmpfs-size': {
        const n = ramInBytes(value ?? '');
        if (n === undefined) throw new InvalidArgument(`invalid value for tmpfs-size: ${value ?? ''}`);
        m.TmpfsOptions = { ...m.TmpfsOptions, SizeBytes: n };
        break;
      }
      case 'tmpfs-mode': m.TmpfsOptions = { ...m.TmpfsOptions, Mode: parseInt(value ?? '', 8) }; break;
      default: throw new InvalidArgument(`unexpected key '${key}' in '${field}'`);
    }
  }
  if (m.Target === '') throw new InvalidArgument('target is required');
  return m;
}

export function parseRestart(spec: string): RestartPolicy {
  const [name = '', count] = spec.split(':', 2);
  switch (name) {
    case 'no': case '': case 'always': case 'unless-stopped':
      if (count !== undefined) throw new InvalidArgument(`invalid restart policy format: maximum retry count can only be used with 'on-failure'`);
      return { Name: name === '' ? 'no' : name, MaximumRetryCount: 0 };
    case 'on-failure': {
      const n = count === undefined ? 0 : Number(count);
      if (!Number.isInteger(n) || n < 0) throw new InvalidArgument(`invalid restart policy format: maximum retry count must be an integer`);
      return { Name: 'on-failure', MaximumRetryCount: n };
    }
    default: throw new InvalidArgument(`invalid restart policy format: unknown policy '${name}'`);
  }
}

export function parseUlimit(spec: string): Ulimit {
  const m = /^([a-z]+)=(-?\d+)(?::(-?\d+))?$/.exec(spec);
  if (!m) throw new InvalidArgument(`invalid ulimit argument: ${spec}`);
  const soft = Number(m[2]);
  const hard = m[3] === undefined ? soft : Number(m[3]);
  if (soft > hard && hard !== -1) throw new InvalidArgument(`ulimit soft limit must be less than or equal to hard limit: ${soft} > ${hard}`);
  return { Name: m[1] ?? '', Soft: soft, Hard: hard };
}

function parseLabels(flags: RunFlags): Record<string, string> {
  const labels: Record<string, string> = {};
  const add = (l: string): void => {
    const eq = l.indexOf('=');
    if (eq < 0) labels[l] = '';
    else labels[l.slice(0, eq)] = l.slice(eq + 1);
  };
  for (const f of flags.labelFile ?? []) for (const l of readLinesFile(f)) add(l);
  for (const l of flags.label ?? []) add(l);
  return labels;
}

/** A Go duration ("1m30s", "500ms") in nanoseconds. */
export function goDurationNs(v: string, flag: string): number {
  const units: Record<string, number> = { ns: 1, us: 1e3, µs: 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };
  let total = 0;
  let rest = v;
  if (rest === '0') return 0;
  while (rest !== '') {
    const m = /^(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/.exec(rest);
    if (!m) throw new InvalidArgument(`invalid argument "${v}" for "${flag}" flag: time: invalid duration "${v}"`);
    total += Number(m[1]) * (units[m[2] as string] ?? 0);
    rest = rest.slice(m[0].length);
  }
  return Math.round(total);
}

function healthConfig(flags: RunFlags): Record<string, unknown> | undefined {
  if (flags.healthcheck === false) {
    if (flags.healthCmd !== undefined) throw new InvalidArgument('--no-healthcheck conflicts with --health-* options');
    return { Test: ['NONE'] };
  }
  const h: Record<string, unknown> = {};
  if (flags.healthCmd !== undefined) h['Test'] = ['CMD-SHELL', flags.healthCmd];
  if (flags.healthInterval !== undefined) h['Interval'] = goDurationNs(flags.healthInterval, '--health-interval');
  if (flags.healthTimeout !== undefined) h['Timeout'] = goDurationNs(flags.healthTimeout, '--health-timeout');
  if (flags.healthStartPeriod !== undefined) h['StartPeriod'] = goDurationNs(flags.healthStartPeriod, '--health-start-period');
  if (flags.healthRetries !== undefined) h['Retries'] = Number(flags.healthRetries);
  return Object.keys(h).length ? h : undefined;
}

/** Turns a `run`/`create` command line into the create request docker would send. */
export function buildCreatePlan(image: string, args: readonly string[], flags: RunFlags, env: NodeJS.ProcessEnv = process.env): CreatePlan {
  if (image === '') throw new InvalidArgument('invalid reference format');
  const detach = flags.detach === true;
  const interactive = flags.interactive === true;
  const attach = (flags.attach ?? []).map((a) => a.toLowerCase());
  for (const a of attach) if (!['stdin', 'stdout', 'stderr'].includes(a)) throw new InvalidArgument(`invalid argument "${a}" for "-a, --attach" flag: valid streams are STDIN, STDOUT and STDERR`);
  if (detach && attach.length > 0) throw new InvalidArgument('Conflicting options: -a and -d');
  const attachStdin = !detach && (attach.length > 0 ? attach.includes('stdin') : interactive);
  const attachStdout = !detach && (attach.length > 0 ? attach.includes('stdout') : true);
  const attachStderr = !detach && (attach.length > 0 ? attach.includes('stderr') : true);

  const envList: string[] = [];
  for (const f of flags.envFile ?? []) for (const l of readLinesFile(f)) { const e = envEntry(l, env); if (e !== undefined) envList.push(e); }
  for (const e0 of flags.env ?? []) { const e = envEntry(e0, env); if (e !== undefined) envList.push(e); }

  const exposed: Record<string, Record<string, never>> = {};
  const bindings: Record<string, PortBinding[]> = {};
  for (const p of flags.publish ?? []) parsePublish(p, exposed, bindings);
  for (const e of flags.expose ?? []) {
    const [port = '', proto = 'tcp'] = e.split('/', 2);
    const [a, b] = parsePortRange(port, 'range format for --expose');
    for (let i = a; i <= b; i++) exposed[`${i}/${proto}`] = {};
  }

  const binds: string[] = [];
  const volumes: Record<string, Record<string, never>> = {};
  for (const v of flags.volume ?? []) {
    const parts = v.split(':');
    if (parts.length === 1) {
      volumes[v] = {};
      continue;
    }
    const src = parts[0] ?? '';
    if (src.startsWith('.')) parts[0] = path.resolve(src);
    binds.push(parts.join(':'));
  }
  const tmpfs: Record<string, string> = {};
  for (const t of flags.tmpfs ?? []) {
    const i = t.indexOf(':');
    if (i < 0) tmpfs[t] = '';
    else tmpfs[t.slice(0, i)] = t.slice(i + 1);
  }

  const hc: HostConfig = {
    NetworkMode: flags.network ?? 'default',
    RestartPolicy: flags.restart === undefined ? { Name: 'no', MaximumRetryCount: 0 } : parseRestart(flags.restart),
    AutoRemove: flags.rm === true,
    Privileged: flags.privileged === true,
    ReadonlyRootfs: flags.readOnly === true,
    PublishAllPorts: flags.publishAll === true,
  };
  if (flags.rm && flags.restart !== undefined && !['no', ''].includes(hc.RestartPolicy?.Name ?? '')) throw new InvalidArgument('Conflicting options: --restart and --rm');
  if (binds.length > 0) hc.Binds = binds;
  if (flags.volumesFrom && flags.volumesFrom.length > 0) hc.VolumesFrom = flags.volumesFrom;
  if (Object.keys(bindings).length > 0) hc.PortBindings = bindings;
  if (flags.mount && flags.mount.length > 0) hc.Mounts = flags.mount.map(parseMount);
  if (flags.capAdd && flags.capAdd.length > 0) hc.CapAdd = flags.capAdd;
  if (flags.capDrop && flags.capDrop.length > 0) hc.CapDrop = flags.capDrop;
  if (Object.keys(tmpfs).length > 0) hc.Tmpfs = tmpfs;
  if (flags.init === true) hc.Init = true;
  applyNamespaceLimitFlags(flags, hc);
  if (flags.userns !== undefined) {
    if (flags.userns !== '' && flags.userns !== 'host') throw new InvalidArgument(`invalid argument "${flags.userns}" for "--userns" flag: --userns: invalid USER mode`);
    hc.UsernsMode = flags.userns;
  }
  if (flags.memory !== undefined) {
    const n = ramInBytes(flags.memory);
    if (n === undefined) throw new InvalidArgument(`invalid argument "${flags.memory}" for "-m, --memory" flag: invalid size: '${flags.memory}'`);
    hc.Memory = n;
  }
  const bytes = (v: string | undefined, flag: string, allowMinusOne = false): number | undefined => {
    if (v === undefined) return undefined;
    if (allowMinusOne && v === '-1') return -1;
    const n = ramInBytes(v);
    if (n === undefined) throw new InvalidArgument(`invalid argument "${v}" for "${flag}" flag: invalid size: '${v}'`);
    return n;
  };
  const int = (v: string | undefined, flag: string): number | undefined => {
    if (v === undefined) return undefined;
    const n = Number(v);
    if (!Number.isInteger(n)) throw new InvalidArgument(`invalid argument "${v}" for "${flag}" flag: strconv.ParseInt: parsing "${v}": invalid syntax`);
    return n;
  };
  const setNum = (k: 'MemoryReservation' | 'MemorySwap' | 'ShmSize' | 'CpuShares' | 'CpuPeriod' | 'CpuQuota', v: number | undefined): void => {
    if (v !== undefined) (hc as Record<string, unknown>)[k] = v;
  };
  setNum('MemoryReservation', bytes(flags.memoryReservation, '--memory-reservation'));
  setNum('MemorySwap', bytes(flags.memorySwap, '--memory-swap', true));
  setNum('ShmSize', bytes(flags.shmSize, '--shm-size'));
  setNum('CpuShares', int(flags.cpuShares, '-c, --cpu-shares'));
  setNum('CpuPeriod', int(flags.cpuPeriod, '--cpu-period'));
  setNum('CpuQuota', int(flags.cpuQuota, '--cpu-quota'));
  if (flags.cpusetCpus !== undefined) (hc as Record<string, unknown>)['CpusetCpus'] = flags.cpusetCpus;
  if (flags.cpusetMems !== undefined) (hc as Record<string, unknown>)['CpusetMems'] = flags.cpusetMems;
  if (flags.cgroupParent !== undefined) (hc as Record<string, unknown>)['CgroupParent'] = flags.cgroupParent;
  const swappiness = int(flags.memorySwappiness, '--memory-swappiness');
  if (swappiness !== undefined) (hc as Record<string, unknown>)['MemorySwappiness'] = swappiness;
  const extra = hc as Record<string, unknown>;
  if (flags.securityOpt?.length) extra['SecurityOpt'] = flags.securityOpt.map(securityOpt);
  if (flags.groupAdd?.length) extra['GroupAdd'] = flags.groupAdd;
  if (flags.sysctl?.length) {
    const map: Record<string, string> = {};
    for (const kv of flags.sysctl) {
      const eq = kv.indexOf('=');
      if (eq <= 0) throw new InvalidArgument(`invalid argument "${kv}" for "--sysctl" flag: sysctl '${kv}' is not allowed`);
      map[kv.slice(0, eq)] = kv.slice(eq + 1);
    }
    extra['Sysctls'] = map;
  }
  if (flags.annotation?.length) {
    // As the docker CLI: KEY=VALUE, the value may be empty; a key without "=" is refused.
    const map: Record<string, string> = {};
    for (const kv of flags.annotation) {
      const eq = kv.indexOf('=');
      if (eq <= 0) throw new InvalidArgument(`invalid argument "${kv}" for "--annotation" flag: bad format for annotation ${JSON.stringify(kv)}: expected KEY=VALUE`);
      map[kv.slice(0, eq)] = kv.slice(eq + 1);
    }
    extra['Annotations'] = map;
  }
  if (flags.logDriver !== undefined || flags.logOpt?.length) {
    const config: Record<string, string> = {};
    for (const kv of flags.logOpt ?? []) {
      const eq = kv.indexOf('=');
      if (eq <= 0) throw new InvalidArgument(`invalid argument "${kv}" for "--log-opt" flag: invalid key value pair format: ${kv}`);
      config[kv.slice(0, eq)] = kv.slice(eq + 1);
    }
    extra['LogConfig'] = { Type: flags.logDriver ?? '', Config: config };
  }
  const hostDevices = applyRuntimeDeviceFlags(flags, hc as Record<string, unknown>);
  if (hostDevices.length) {
    extra['Devices'] = hostDevices.map((spec) => {
      const [host = '', ctr, perms] = spec.split(':');
      const permsFirst = ctr !== undefined && /^[rwm]+$/.test(ctr) && perms === undefined;
      return { PathOnHost: host, PathInContainer: permsFirst ? host : (ctr ?? host), CgroupPermissions: permsFirst ? ctr : (perms ?? 'rwm') };
    });
  }
  if (flags.deviceCgroupRule?.length) {
    for (const r of flags.deviceCgroupRule) {
      if (!/^[acb] ([0-9]+|\*):([0-9]+|\*) [rwm]{1,3}$/.test(r)) throw new InvalidArgument(`invalid argument "${r}" for "--device-cgroup-rule" flag: invalid device cgroup format '${r}'`);
    }
    hc.DeviceCgroupRules = flags.deviceCgroupRule;
  }
  if (flags.cpus !== undefined) {
    const n = Number(flags.cpus);
    if (!Number.isFinite(n) || n < 0) throw new InvalidArgument(`invalid argument "${flags.cpus}" for "--cpus" flag: failed to parse ${flags.cpus} as a rational number`);
    hc.NanoCpus = Math.round(n * 1e9);
  }
  if (flags.pidsLimit !== undefined) {
    const n = Number(flags.pidsLimit);
    if (!Number.isInteger(n)) throw new InvalidArgument(`invalid argument "${flags.pidsLimit}" for "--pids-limit" flag: strconv.ParseInt: parsing "${flags.pidsLimit}": invalid syntax`);
    hc.PidsLimit = n;
  }
  if (flags.ulimit && flags.ulimit.length > 0) hc.Ulimits = flags.ulimit.map(parseUlimit);
  if (flags.dns?.length) hc.Dns = flags.dns;
  if (flags.dnsSearch?.length) hc.DnsSearch = flags.dnsSearch;
  if (flags.dnsOption?.length) hc.DnsOptions = flags.dnsOption;
  if (flags.addHost?.length) {
    for (const h of flags.addHost) if (!/^[^:=\s]+[:=]\S+$/.test(h)) throw new InvalidArgument(`invalid argument "${h}" for "--add-host" flag: bad format for add-host: "${h}"`);
    hc.ExtraHosts = flags.addHost;
  }
  if (flags.link?.length) {
    for (const l of flags.link) {
      if (l === '' || l.split(':').length > 2) throw new InvalidArgument(`invalid argument "${l}" for "--link" flag: ${l === '' ? 'empty string specified for links' : `bad format for links: ${l}`}`);
    }
    hc.Links = flags.link;
  }
  const endpoint: EndpointSettings = {};
  if (flags.networkAlias?.length) endpoint.Aliases = flags.networkAlias;
  if (flags.ip || flags.ip6 || flags.linkLocalIp?.length) {
    endpoint.IPAMConfig = { ...(flags.ip ? { IPv4Address: flags.ip } : {}), ...(flags.ip6 ? { IPv6Address: flags.ip6 } : {}), ...(flags.linkLocalIp?.length ? { LinkLocalIPs: flags.linkLocalIp } : {}) };
  }
  if (flags.macAddress) endpoint.MacAddress = flags.macAddress;
  const userNet = flags.network !== undefined && !['default', 'bridge', 'host', 'none'].includes(flags.network) && !flags.network.startsWith('container:');
  // As the docker CLI does: on a user network the links go to the endpoint too.
  if (userNet && hc.Links) endpoint.Links = hc.Links;
  if ((endpoint.Aliases || endpoint.IPAMConfig) && !userNet) throw new InvalidArgument('network-scoped aliases and static IPs are supported only for containers in user defined networks (--network NAME)');

  const body: ContainerCreateRequest = {
    Hostname: flags.hostname ?? '',
    User: flags.user ?? '',
    AttachStdin: attachStdin,
    AttachStdout: attachStdout,
    AttachStderr: attachStderr,
    Tty: flags.tty === true,
    OpenStdin: interactive,
    StdinOnce: interactive && attachStdin,
    Env: envList,
    Cmd: args.length > 0 ? [...args] : null,
    Image: image,
    WorkingDir: flags.workdir ?? '',
    Labels: parseLabels(flags),
    HostConfig: hc,
    NetworkingConfig: { EndpointsConfig: Object.keys(endpoint).length ? { [flags.network ?? 'default']: endpoint } : {} },
  };
  if (Object.keys(exposed).length > 0) body.ExposedPorts = exposed;
  if (Object.keys(volumes).length > 0) body.Volumes = volumes;
  // `--entrypoint ""` resets the image's entrypoint; docker sends [""] for it.
  if (flags.entrypoint !== undefined) body.Entrypoint = [flags.entrypoint];
  if (flags.stopSignal !== undefined) body.StopSignal = flags.stopSignal;
  if (flags.stopTimeout !== undefined) {
    const n = Number(flags.stopTimeout);
    if (!Number.isInteger(n)) throw new InvalidArgument(`invalid argument "${flags.stopTimeout}" for "--stop-timeout" flag: strconv.ParseInt: parsing "${flags.stopTimeout}": invalid syntax`);
    body.StopTimeout = n;
  }
  const health = healthConfig(flags);
  if (health) body.Healthcheck = health;
  const pull = flags.pull ?? 'missing';
  if (pull !== 'missing' && pull !== 'always' && pull !== 'never') throw new InvalidArgument(`invalid pull option: '${pull}': must be one of "always", "missing" or "never"`);
  return { body, name: flags.name, platform: flags.platform, pull, attachStdin, attachStdout, attachStderr };
}
