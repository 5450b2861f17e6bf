import { isIP } from 'node:net';
import { InvalidArgument } from '../../../errdefs/index.js';
import { ramInBytes } from '../../../api/index.js';
import type { ContainerSpec, CreateInput, CreateSpec, HealthSpec, LinkRequest, LifecycleSpec, NamespaceSpec } from '../../../services/index.js';
import { parseDeviceCgroupRules } from '../device-rules.js';
import { bool, obj, str, strList, strMap } from '../request.js';
import { refuseUnsupportedCreateFields } from '../create-unsupported.js';
import { annotationsFromHostConfig, devicesFromHostConfig, groupAddFromHostConfig, resourcesFromHostConfig, securityOptsFromHostConfig, sysctlsFromHostConfig } from './host-options.js';
import { mountsFromWire, volumesFromFromWire } from './mounts.js';
import { deviceRequestsFromHostConfig } from './device-requests.js';
import { namespacesFromHostConfig } from './namespaces.js';
import { dockerView } from './view.js';

/**
 * Converts Docker's ContainerCreate body (Config at top level, HostConfig, NetworkingConfig) into a
 * CreateInput: the process fields, and a ContainerSpec with every HostConfig field checked and
 * defaulted as dockerd does at create.
 */
export function createInputFromWire(body: Record<string, unknown>, name: string | null): CreateInput {
  const image = str(body['Image']);
  if (!image) throw new InvalidArgument('config cannot be empty in order to create a container');
  refuseUnsupportedCreateFields(body);
  const hc = obj(body['HostConfig']) ?? {};
  const input: CreateInput = { image, spec: specFromHostConfig(hc, obj(body['Volumes']) ?? {}, str(body['Hostname']) ?? '') };
  if (!str(hc['CgroupnsMode'])) input.cgroupnsUnset = true;
  if (!str(hc['IpcMode'])) input.ipcUnset = true;
  const view = dockerView(hc, input.spec);
  const attach = attachView(body);
  if (view || attach) input.views = { ...(view ? { docker: view } : {}), ...(attach ? { dockerConfig: attach } : {}) };
  if (name) input.name = name;
  const cmd = strList(body['Cmd'], 'Config.Cmd');
  if (cmd !== undefined) input.cmd = cmd;
  if (body['Entrypoint'] !== undefined && body['Entrypoint'] !== null) {
    const ep = strList(body['Entrypoint'], 'Config.Entrypoint') ?? [];
    // `--entrypoint ""` arrives as [""]: it means "no entrypoint", not an empty program name.
    input.entrypoint = ep.length === 1 && ep[0] === '' ? [] : ep;
  }
  const env = strList(body['Env'], 'Config.Env');
  if (env) {
    for (const e of env) if (e.startsWith('=') || e === '') throw new InvalidArgument(`invalid environment variable: ${e}`);
    input.env = env;
  }
  const setStr = (k: keyof CreateInput & string, wire: string): void => {
    const v = str(body[wire]);
    if (v !== undefined) (input as unknown as Record<string, unknown>)[k] = v;
  };
  setStr('workingDir', 'WorkingDir');
  setStr('user', 'User');
  setStr('hostname', 'Hostname');
  setStr('domainname', 'Domainname');
  setStr('stopSignal', 'StopSignal');
  const setBool = (k: keyof CreateInput & string, wire: string): void => {
    const v = bool(body[wire]);
    if (v !== undefined) (input as unknown as Record<string, unknown>)[k] = v;
  };
  setBool('tty', 'Tty');
  setBool('openStdin', 'OpenStdin');
  setBool('stdinOnce', 'StdinOnce');
  const size = hcConsoleSize(obj(body['HostConfig'])?.['ConsoleSize']);
  if (size) input.consoleSize = size;
  const health = healthFromWire(obj(body['Healthcheck']));
  if (health) input.healthcheck = health;
  const labels = strMap(body['Labels']);
  if (labels) input.labels = labels;
  if (typeof body['StopTimeout'] === 'number') input.stopTimeout = body['StopTimeout'];
  const exposed = obj(body['ExposedPorts']);
  if (exposed) input.exposedPorts = Object.keys(exposed);
  const volumes = obj(body['Volumes']);
  if (volumes) input.volumes = Object.keys(volumes);
  if (input.workingDir && !input.workingDir.startsWith('/')) {
    throw new InvalidArgument(`the working directory '${input.workingDir}' is invalid, it needs to be an absolute path`);
  }

  const links = strList(hc['Links'], 'HostConfig.Links');
  if (links?.length) input.links = links.map(parseLink);
  const endpoints = endpointsFromWire(body, str(hc['NetworkMode']) ?? 'default');
  if (Object.keys(endpoints).length) input.endpoints = endpoints;
  return input;
}

/** The HostConfig half of a create, as a spec (links are resolved by the container service). */
export function specFromHostConfig(hc: Record<string, unknown>, configVolumes: Record<string, unknown>, hostname = ''): CreateSpec {
  const b = (k: string): boolean => bool(hc[k]) ?? false;
  const autoRemove = b('AutoRemove');
  let restartPolicy: LifecycleSpec['restartPolicy'] = { name: 'no', maximumRetryCount: 0 };
  const rp = obj(hc['RestartPolicy']);
  if (rp && str(rp['Name'])) {
    const policy = str(rp['Name']) as string;
    if (!['no', 'always', 'on-failure', 'unless-stopped', ''].includes(policy)) throw new InvalidArgument(`invalid restart policy: ${policy}`);
    restartPolicy = { name: (policy || 'no') as LifecycleSpec['restartPolicy']['name'], maximumRetryCount: typeof rp['MaximumRetryCount'] === 'number' ? rp['MaximumRetryCount'] : 0 };
    if (autoRemove && restartPolicy.name !== 'no') throw new InvalidArgument(`can't create 'AutoRemove' container with restart policy`);
  }
  const binds = strList(hc['Binds'], 'HostConfig.Binds') ?? [];
  const capAdd = strList(hc['CapAdd'], 'HostConfig.CapAdd') ?? [];
  const capDrop = strList(hc['CapDrop'], 'HostConfig.CapDrop') ?? [];
  const extraHosts = strList(hc['ExtraHosts'], 'HostConfig.ExtraHosts') ?? [];
  const pb = obj(hc['PortBindings']);
  // A runtime by the daemon's name for it; the container service checks that it exists and runs here.
  const runtime = str(hc['Runtime']);
  const { netns, network } = networkFromMode(str(hc['NetworkMode']) || 'default');
  const strs = (k: string): string[] => (Array.isArray(hc[k]) ? (hc[k] as unknown[]).map(String) : []);
  const deviceRequests = deviceRequestsFromHostConfig(hc);
  return {
    ...(runtime ? { runtime } : {}),
    rootfs: { readOnly: b('ReadonlyRootfs'), ...storageOptFromHostConfig(hc['StorageOpt']) },
    mounts: mountsFromWire(hc, binds, configVolumes as Record<string, object>),
    volumesFrom: volumesFromFromWire(hc),
    resources: resourcesFromHostConfig(hc),
    security: {
      privileged: b('Privileged'),
      capAdd,
      capDrop,
      ...securityOptsFromHostConfig(hc),
      devices: devicesFromHostConfig(hc),
      ...(deviceRequests.length ? { deviceRequests } : {}),
      deviceCgroupRules: parseDeviceCgroupRules(hc['DeviceCgroupRules']),
      sysctls: sysctlsFromHostConfig(hc),
      groupAdd: groupAddFromHostConfig(hc),
    },
    namespaces: namespacesFromHostConfig(hc, netns, hostname).namespaces,
    networking: {
      network,
      portBindings: pb ? portBindingsFromWire(pb) : {},
      publishAll: hc['PublishAllPorts'] === true,
      dns: { servers: strs('Dns'), search: strs('DnsSearch'), options: strs('DnsOptions') },
      extraHosts,
    },
    logging: loggingFromWire(hc),
    lifecycle: { restartPolicy, autoRemove, init: hc['Init'] === true },
    annotations: annotationsFromHostConfig(hc),
  };
}

/** HostConfig.NetworkMode: `host`, `container:<id or name>`, `none`, `default`, `bridge` or a network's name or id. */
export function networkFromMode(mode: string): { netns: NamespaceSpec; network: string } {
  if (mode === 'host') return { netns: { mode: 'host' }, network: 'host' };
  if (mode.startsWith('container:')) {
    // An empty target is refused at create by the network service, as a container it cannot find.
    const target = mode.slice('container:'.length);
    return { netns: { mode: 'container', target }, network: '' };
  }
  return { netns: { mode: 'private' }, network: mode };
}

/** NetworkMode as inspect and ps show it. */
export function networkModeOf(spec: Pick<ContainerSpec, 'namespaces' | 'networking'>): string {
  const ns = spec.namespaces.network;
  return ns.mode === 'container' ? `container:${ns.target ?? ''}` : spec.networking.network;
}

function loggingFromWire(hc: Record<string, unknown>): ContainerSpec['logging'] {
  const lc = obj(hc['LogConfig']);
  // No Type: the daemon's driver, chosen by the service at create (which also checks driver and options).
  const out: ContainerSpec['logging'] = { driver: str(lc?.['Type']) ?? '' };
  const logOpts = obj(lc?.['Config']);
  if (logOpts) {
    for (const [k, v] of Object.entries(logOpts)) if (typeof v !== 'string') throw new InvalidArgument(`HostConfig.LogConfig.Config.${k} must be a string`);
    out.options = logOpts as Record<string, string>;
  }
  return out;
}

/** HostConfig.PortBindings: {"80/tcp": [{HostIp, HostPort}]}, checked as Docker's nat package does. */
function portBindingsFromWire(pb: Record<string, unknown>): Record<string, { hostIp: string; hostPort: string }[]> {
  const out: Record<string, { hostIp: string; hostPort: string }[]> = {};
  for (const [key, list] of Object.entries(pb)) {
    const m = /^(\d+)(?:\/(tcp|udp|sctp))?$/.exec(key);
    if (!m || Number(m[1]) < 1 || Number(m[1]) > 65535) throw new InvalidArgument(`invalid port specification: "${key}"`);
    const norm = `${m[1]}/${m[2] ?? 'tcp'}`;
    const bindings = Array.isArray(list) ? list : [];
    out[norm] = bindings.map((b: unknown) => {
      const o = obj(b) ?? {};
      const hostIp = str(o['HostIp']) ?? '';
      const hostPort = str(o['HostPort']) ?? '';
      const bare = hostIp.replace(/^\[(.*)\]$/, '$1');
      if (hostIp && isIP(bare) === 0) throw new InvalidArgument(`invalid host IP address: ${hostIp}`);
      if (hostPort && !/^\d+(-\d+)?$/.test(hostPort)) throw new InvalidArgument(`invalid hostPort: ${hostPort}`);
      return { hostIp, hostPort };
    });
  }
  return out;
}

/**
 * One link as dockerd parses it: `name`, `name:alias`, or inspect's own `/name:/parent/alias`
 * (so a HostConfig read back from inspect can be sent again).
 */
export function parseLink(v: string): LinkRequest {
  if (v === '') throw new InvalidArgument('empty string specified for links');
  const parts = v.split(':');
  if (parts.length > 2) throw new InvalidArgument(`bad format for links: ${v}`);
  const [name = '', alias] = parts;
  if (alias === undefined) return { name, alias: name };
  if (name.startsWith('/')) return { name: name.slice(1), alias: alias.slice(alias.lastIndexOf('/') + 1) };
  return { name, alias };
}

type EndpointInput = NonNullable<CreateInput['endpoints']>[string];

/** NetworkingConfig.EndpointsConfig (aliases, links, IPAMConfig.IPv4Address/IPv6Address/LinkLocalIPs, MacAddress) and the older Config.MacAddress. */
function endpointsFromWire(body: Record<string, unknown>, mode: string): Record<string, EndpointInput> {
  const out: Record<string, EndpointInput> = {};
  const eps = obj(obj(body['NetworkingConfig'])?.['EndpointsConfig']) ?? {};
  for (const [name, v] of Object.entries(eps)) {
    const e = obj(v) ?? {};
    const aliases = strList(e['Aliases'], `EndpointsConfig.${name}.Aliases`);
    const ipam = obj(e['IPAMConfig']);
    const ip = str(ipam?.['IPv4Address']);
    const ip6 = str(ipam?.['IPv6Address']);
    const linkLocalIps = strList(ipam?.['LinkLocalIPs'], `EndpointsConfig.${name}.IPAMConfig.LinkLocalIPs`);
    const mac = str(e['MacAddress']);
    const links = strList(e['Links'], `EndpointsConfig.${name}.Links`)?.map(parseLink);
    out[name] = {
      ...(aliases?.length ? { aliases } : {}),
      ...(links?.length ? { links } : {}),
      ...(ip ? { ip } : {}),
      ...(ip6 ? { ip6 } : {}),
      ...(linkLocalIps?.length ? { linkLocalIps } : {}),
      ...(mac ? { mac } : {}),
    };
  }
  const mac = str(body['MacAddress']);
  if (mac) out[mode] = { ...(out[mode] ?? {}), mac };
  return out;
}

/**
 * Config.Healthcheck in the spec's words. Durations are nanoseconds; a field absent stays absent
 * (unset: the image's, else the default).
 */
export function healthFromWire(h: Record<string, unknown> | null | undefined): HealthSpec | undefined {
  if (!h) return undefined;
  const test = strList(h['Test'], 'Config.Healthcheck.Test');
  const n = (k: string): number | undefined => (typeof h[k] === 'number' ? h[k] : undefined);
  const out: HealthSpec = {};
  if (test) out.test = test;
  const set = (k: 'intervalNs' | 'timeoutNs' | 'startPeriodNs' | 'startIntervalNs' | 'retries', wire: string): void => {
    const v = n(wire);
    if (v !== undefined) out[k] = v;
  };
  set('intervalNs', 'Interval');
  set('timeoutNs', 'Timeout');
  set('startPeriodNs', 'StartPeriod');
  set('startIntervalNs', 'StartInterval');
  set('retries', 'Retries');
  return out;
}

/** Config.Healthcheck from the spec: Docker's HealthConfig keys in its order, those set only. */
export function healthToWire(h: HealthSpec): Record<string, unknown> {
  return {
    ...(h.test !== undefined ? { Test: h.test } : {}),
    ...(h.intervalNs !== undefined ? { Interval: h.intervalNs } : {}),
    ...(h.timeoutNs !== undefined ? { Timeout: h.timeoutNs } : {}),
    ...(h.startPeriodNs !== undefined ? { StartPeriod: h.startPeriodNs } : {}),
    ...(h.startIntervalNs !== undefined ? { StartInterval: h.startIntervalNs } : {}),
    ...(h.retries !== undefined ? { Retries: h.retries } : {}),
  };
}

/**
 * AttachStdin/Stdout/Stderr: which streams the client meant to attach to. They change nothing
 * (an attach names its own streams), so they are only shown back: the record's `views.dockerConfig`
 * keeps those that are true (undefined: none).
 */
function attachView(body: Record<string, unknown>): Record<string, unknown> | undefined {
  const out: Record<string, unknown> = {};
  for (const k of ['AttachStdin', 'AttachStdout', 'AttachStderr']) if (bool(body[k]) === true) out[k] = true;
  return Object.keys(out).length ? out : undefined;
}

/** HostConfig.ConsoleSize [rows, columns] (the docker CLI sends [0, 0] without a terminal). */
function hcConsoleSize(v: unknown): { height: number; width: number } | undefined {
  if (v === undefined || v === null) return undefined;
  const ok = (n: unknown): n is number => typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 65535;
  if (!Array.isArray(v) || v.length !== 2 || !ok(v[0]) || !ok(v[1])) throw new InvalidArgument('HostConfig.ConsoleSize must be [height, width]');
  return v[0] > 0 && v[1] > 0 ? { height: v[0], width: v[1] } : undefined;
}

/**
 * HostConfig.StorageOpt as overlay2 reads it: keys case-insensitive, only `size` (Docker's units,
 * 1024-based); kept as given for inspect. Whether the layer can be limited is the storage's to say.
 */
function storageOptFromHostConfig(v: unknown): { driverOptions?: Record<string, string>; sizeLimit?: number } {
  if (v === undefined || v === null) return {};
  if (typeof v !== 'object' || Array.isArray(v)) throw new InvalidArgument('HostConfig.StorageOpt must be an object of strings');
  const given = Object.entries(v as Record<string, unknown>);
  if (given.length === 0) return {};
  const out: { driverOptions: Record<string, string>; sizeLimit?: number } = { driverOptions: {} };
  for (const [k, raw] of given) {
    if (typeof raw !== 'string') throw new InvalidArgument(`HostConfig.StorageOpt.${k} must be a string`);
    out.driverOptions[k] = raw;
    if (k.toLowerCase() !== 'size') throw new InvalidArgument(`Unknown option ${k.toLowerCase()}`);
    const size = ramInBytes(raw);
    if (size === undefined) throw new InvalidArgument(`invalid size: '${raw}'`);
    out.sizeLimit = size;
  }
  return out;
}
