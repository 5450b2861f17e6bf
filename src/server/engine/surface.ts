import { isBerthError } from '../../errdefs/index.js';
import { createInputFromWire } from './dialect/index.js';

/*
 * Docker's surface, for the README's table (scripts/flags-table.mjs): the flags of the docker CLI
 * 28's `run` with the Engine API field each one sets (the docker CLI's translation: facts about
 * Docker), and the Engine API 1.47 endpoints. What berth does with them is not written here: each
 * flag's sample body is given to the dialect's own create parser, and what it refuses (and in which
 * words) is what the table says, so the table follows the code.
 */

type Body = Record<string, unknown>;
/** A flag's value as the docker CLI would send it: a label for the table and the create body fragment. */
type Sample = [label: string, body: Body];
export interface DockerRunFlag {
  flag: string;
  /** The Engine API field(s) it sets, or what handles it where no field does. */
  field: string;
  /** Bodies to try; none for a flag the docker CLI handles itself. */
  samples: Sample[];
}

const hc = (o: Body): Body => ({ HostConfig: o });
const cfg = (o: Body): Body => o;
const ep = (net: string, o: Body): Body => ({ HostConfig: { NetworkMode: net }, NetworkingConfig: { EndpointsConfig: { [net]: o } } });
const one = (body: Body): Sample[] => [['', body]];
const dev = (k: string, v: Body): Body => hc({ [k]: [{ Path: '/dev/null', ...v }] });
const health = (o: Body): Body => cfg({ Healthcheck: { Test: ['CMD-SHELL', 'true'], ...o } });
const CLI = (what: string): Pick<DockerRunFlag, 'field' | 'samples'> => ({ field: what, samples: [] });

const F = (flag: string, field: string, samples: Sample[]): DockerRunFlag => ({ flag, field, samples });
const C = (flag: string, what: string): DockerRunFlag => ({ flag, ...CLI(what) });

/** `docker run --help` of the docker CLI 28, in its order (test/flags-table.test.ts checks it against the installed CLI). */
export const DOCKER_RUN_FLAGS: readonly DockerRunFlag[] = [
  F('add-host', 'HostConfig.ExtraHosts', one(hc({ ExtraHosts: ['db:10.0.0.9'] }))),
  F('annotation', 'HostConfig.Annotations', one(hc({ Annotations: { 'com.example/a': 'b' } }))),
  F('attach', 'Config.AttachStdin/Stdout/Stderr', one(cfg({ AttachStdout: true, AttachStderr: true }))),
  F('blkio-weight', 'HostConfig.BlkioWeight', one(hc({ BlkioWeight: 500 }))),
  F('blkio-weight-device', 'HostConfig.BlkioWeightDevice', one(hc({ BlkioWeightDevice: [{ Path: '/dev/null', Weight: 100 }] }))),
  F('cap-add', 'HostConfig.CapAdd', one(hc({ CapAdd: ['NET_ADMIN'] }))),
  F('cap-drop', 'HostConfig.CapDrop', one(hc({ CapDrop: ['CHOWN'] }))),
  F('cgroup-parent', 'HostConfig.CgroupParent', one(hc({ CgroupParent: 'mygroup' }))),
  F('cgroupns', 'HostConfig.CgroupnsMode', [['host', hc({ CgroupnsMode: 'host' })], ['private', hc({ CgroupnsMode: 'private' })]]),
  C('cidfile', 'the docker CLI writes the file'),
  F('cpu-count', 'HostConfig.CpuCount', one(hc({ CpuCount: 1 }))),
  F('cpu-percent', 'HostConfig.CpuPercent', one(hc({ CpuPercent: 10 }))),
  F('cpu-period', 'HostConfig.CpuPeriod', one(hc({ CpuPeriod: 100000 }))),
  F('cpu-quota', 'HostConfig.CpuQuota', one(hc({ CpuQuota: 50000 }))),
  F('cpu-rt-period', 'HostConfig.CpuRealtimePeriod', one(hc({ CpuRealtimePeriod: 1000000 }))),
  F('cpu-rt-runtime', 'HostConfig.CpuRealtimeRuntime', one(hc({ CpuRealtimeRuntime: 950000 }))),
  F('cpu-shares', 'HostConfig.CpuShares', one(hc({ CpuShares: 512 }))),
  F('cpus', 'HostConfig.NanoCpus', one(hc({ NanoCpus: 1e9 }))),
  F('cpuset-cpus', 'HostConfig.CpusetCpus', one(hc({ CpusetCpus: '0' }))),
  F('cpuset-mems', 'HostConfig.CpusetMems', one(hc({ CpusetMems: '0' }))),
  C('detach', 'the docker CLI (does not attach)'),
  C('detach-keys', 'query detachKeys of attach'),
  F('device', 'HostConfig.Devices, HostConfig.DeviceRequests (CDI)', [
    ['/dev/null', hc({ Devices: [{ PathOnHost: '/dev/null', PathInContainer: '/dev/xnull', CgroupPermissions: 'rwm' }] })],
    ['vendor.com/class=name (CDI)', hc({ DeviceRequests: [{ Driver: 'cdi', DeviceIDs: ['vendor.com/class=name'] }] })],
  ]),
  F('device-cgroup-rule', 'HostConfig.DeviceCgroupRules', one(hc({ DeviceCgroupRules: ['c 1:3 rwm'] }))),
  F('device-read-bps', 'HostConfig.BlkioDeviceReadBps', one(dev('BlkioDeviceReadBps', { Rate: 1048576 }))),
  F('device-read-iops', 'HostConfig.BlkioDeviceReadIOps', one(dev('BlkioDeviceReadIOps', { Rate: 100 }))),
  F('device-write-bps', 'HostConfig.BlkioDeviceWriteBps', one(dev('BlkioDeviceWriteBps', { Rate: 1048576 }))),
  F('device-write-iops', 'HostConfig.BlkioDeviceWriteIOps', one(dev('BlkioDeviceWriteIOps', { Rate: 100 }))),
  C('disable-content-trust', 'the docker CLI (Notary)'),
  F('dns', 'HostConfig.Dns', one(hc({ Dns: ['10.0.0.53'] }))),
  F('dns-option', 'HostConfig.DnsOptions', one(hc({ DnsOptions: ['ndots:2'] }))),
  F('dns-search', 'HostConfig.DnsSearch', one(hc({ DnsSearch: ['example.com'] }))),
  F('domainname', 'Config.Domainname', one(cfg({ Domainname: 'example.com' }))),
  F('entrypoint', 'Config.Entrypoint', one(cfg({ Entrypoint: ['sh'] }))),
  F('env', 'Config.Env', one(cfg({ Env: ['A=1'] }))),
  F('env-file', 'Config.Env (the docker CLI reads the file)', one(cfg({ Env: ['A=1'] }))),
  F('expose', 'Config.ExposedPorts', one(cfg({ ExposedPorts: { '80/tcp': {} } }))),
  F('gpus', 'HostConfig.DeviceRequests', one(hc({ DeviceRequests: [{ Driver: '', Count: -1, Capabilities: [['gpu']] }] }))),
  F('group-add', 'HostConfig.GroupAdd', one(hc({ GroupAdd: ['audio'] }))),
  F('health-cmd', 'Config.Healthcheck.Test', one(health({}))),
  F('health-interval', 'Config.Healthcheck.Interval', one(health({ Interval: 2e9 }))),
  F('health-retries', 'Config.Healthcheck.Retries', one(health({ Retries: 3 }))),
  F('health-start-interval', 'Config.Healthcheck.StartInterval', one(health({ StartInterval: 1e9 }))),
  F('health-start-period', 'Config.Healthcheck.StartPeriod', one(health({ StartPeriod: 5e9 }))),
  F('health-timeout', 'Config.Healthcheck.Timeout', one(health({ Timeout: 1e9 }))),
  C('help', 'the docker CLI'),
  F('hostname', 'Config.Hostname', one(cfg({ Hostname: 'web' }))),
  F('init', 'HostConfig.Init', one(hc({ Init: true }))),
  F('interactive', 'Config.OpenStdin, AttachStdin', one(cfg({ OpenStdin: true, AttachStdin: true, StdinOnce: true }))),
  F('io-maxbandwidth', 'HostConfig.IOMaximumBandwidth', one(hc({ IOMaximumBandwidth: 1048576 }))),
  F('io-maxiops', 'HostConfig.IOMaximumIOps', one(hc({ IOMaximumIOps: 100 }))),
  F('ip', 'EndpointsConfig.*.IPAMConfig.IPv4Address', one(ep('mynet', { IPAMConfig: { IPv4Address: '10.9.0.5' } }))),
  F('ip6', 'EndpointsConfig.*.IPAMConfig.IPv6Address', one(ep('mynet', { IPAMConfig: { IPv6Address: 'fd00::5' } }))),
  F('ipc', 'HostConfig.IpcMode', ['private', 'shareable', 'host', 'none', 'container:NAME'].map((m): Sample => [m, hc({ IpcMode: m.replace('NAME', 'other') })])),
  F('isolation', 'HostConfig.Isolation', one(hc({ Isolation: 'hyperv' }))),
  F('kernel-memory', 'HostConfig.KernelMemory', one(hc({ KernelMemory: 4194304 }))),
  F('label', 'Config.Labels', one(cfg({ Labels: { a: 'b' } }))),
  F('label-file', 'Config.Labels (the docker CLI reads the file)', one(cfg({ Labels: { a: 'b' } }))),
  F('link', 'HostConfig.Links', one(hc({ Links: ['other:alias'] }))),
  F('link-local-ip', 'EndpointsConfig.*.IPAMConfig.LinkLocalIPs', one(ep('mynet', { IPAMConfig: { LinkLocalIPs: ['169.254.1.1'] } }))),
  F('log-driver', 'HostConfig.LogConfig.Type', ['json-file', 'local', 'none', 'syslog', 'journald', 'gelf', 'fluentd', 'awslogs', 'splunk', 'gcplogs', 'logentries']
    .map((t): Sample => [t, hc({ LogConfig: { Type: t, Config: {} } })])),
  F('log-opt', 'HostConfig.LogConfig.Config', [
    ['json-file max-size', hc({ LogConfig: { Type: 'json-file', Config: { 'max-size': '10m', 'max-file': '3' } } })],
    ['mode=non-blocking', hc({ LogConfig: { Type: 'json-file', Config: { mode: 'non-blocking', 'max-buffer-size': '4m' } } })],
  ]),
  F('mac-address', 'EndpointsConfig.*.MacAddress', one(ep('mynet', { MacAddress: '02:42:ac:11:00:99' }))),
  F('memory', 'HostConfig.Memory', one(hc({ Memory: 67108864 }))),
  F('memory-reservation', 'HostConfig.MemoryReservation', one(hc({ MemoryReservation: 33554432 }))),
  F('memory-swap', 'HostConfig.MemorySwap', one(hc({ Memory: 67108864, MemorySwap: 134217728 }))),
  F('memory-swappiness', 'HostConfig.MemorySwappiness', one(hc({ MemorySwappiness: 10 }))),
  F('mount', 'HostConfig.Mounts', [
    ['type=bind', hc({ Mounts: [{ Type: 'bind', Source: '/tmp', Target: '/data' }] })],
    ['type=volume', hc({ Mounts: [{ Type: 'volume', Source: 'vol', Target: '/data' }] })],
    ['type=tmpfs', hc({ Mounts: [{ Type: 'tmpfs', Target: '/data' }] })],
  ]),
  F('name', 'query name', [['', { '?name': 'web' }]]),
  F('network', 'HostConfig.NetworkMode', ['bridge', 'host', 'none', 'container:NAME', 'NETWORK'].map((m): Sample => [m, hc({ NetworkMode: m.replace('NAME', 'other').replace('NETWORK', 'mynet') })])),
  F('network-alias', 'EndpointsConfig.*.Aliases', one(ep('mynet', { Aliases: ['web'] }))),
  F('no-healthcheck', 'Config.Healthcheck.Test ["NONE"]', one(cfg({ Healthcheck: { Test: ['NONE'] } }))),
  F('oom-kill-disable', 'HostConfig.OomKillDisable', one(hc({ OomKillDisable: true }))),
  F('oom-score-adj', 'HostConfig.OomScoreAdj', one(hc({ OomScoreAdj: 100 }))),
  F('pid', 'HostConfig.PidMode', [['host', hc({ PidMode: 'host' })], ['container:NAME', hc({ PidMode: 'container:other' })]]),
  F('pids-limit', 'HostConfig.PidsLimit', one(hc({ PidsLimit: 100 }))),
  C('platform', 'query platform of create, and the pull'),
  F('privileged', 'HostConfig.Privileged', one(hc({ Privileged: true }))),
  F('publish', 'HostConfig.PortBindings', [
    ['8080:80', { ExposedPorts: { '80/tcp': {} }, HostConfig: { PortBindings: { '80/tcp': [{ HostIp: '', HostPort: '8080' }] } } }],
    ['[::]:8080:80', { ExposedPorts: { '80/tcp': {} }, HostConfig: { PortBindings: { '80/tcp': [{ HostIp: '::', HostPort: '8080' }] } } }],
    ['[::1]:8080:80', { ExposedPorts: { '80/tcp': {} }, HostConfig: { PortBindings: { '80/tcp': [{ HostIp: '::1', HostPort: '8080' }] } } }],
  ]),
  F('publish-all', 'HostConfig.PublishAllPorts', one(hc({ PublishAllPorts: true }))),
  C('pull', 'the docker CLI (pulls before create)'),
  C('quiet', 'the docker CLI (no pull output)'),
  F('read-only', 'HostConfig.ReadonlyRootfs', one(hc({ ReadonlyRootfs: true }))),
  F('restart', 'HostConfig.RestartPolicy', ['always', 'unless-stopped', 'on-failure:3'].map((p): Sample => {
    const [name, n] = p.split(':');
    return [p, hc({ RestartPolicy: { Name: name, MaximumRetryCount: Number(n ?? 0) } })];
  })),
  F('rm', 'HostConfig.AutoRemove', one(hc({ AutoRemove: true }))),
  F('runtime', 'HostConfig.Runtime', [['runc', hc({ Runtime: 'runc' })], ['crun', hc({ Runtime: 'crun' })]]),
  F('security-opt', 'HostConfig.SecurityOpt', ['no-new-privileges', 'seccomp=unconfined', 'apparmor=unconfined', 'label=disable', 'systempaths=unconfined']
    .map((o): Sample => [o, hc({ SecurityOpt: [o] })])),
  F('shm-size', 'HostConfig.ShmSize', one(hc({ ShmSize: 134217728 }))),
  C('sig-proxy', 'the docker CLI (forwards signals)'),
  F('stop-signal', 'Config.StopSignal', one(cfg({ StopSignal: 'SIGINT' }))),
  F('stop-timeout', 'Config.StopTimeout', one(cfg({ StopTimeout: 5 }))),
  F('storage-opt', 'HostConfig.StorageOpt', one(hc({ StorageOpt: { size: '1G' } }))),
  F('sysctl', 'HostConfig.Sysctls', one(hc({ Sysctls: { 'net.ipv4.ip_forward': '1' } }))),
  F('tmpfs', 'HostConfig.Tmpfs', one(hc({ Tmpfs: { '/run/t': 'size=1m' } }))),
  F('tty', 'Config.Tty', one(cfg({ Tty: true }))),
  F('ulimit', 'HostConfig.Ulimits', one(hc({ Ulimits: [{ Name: 'nofile', Soft: 1024, Hard: 2048 }] }))),
  F('use-api-socket', 'HostConfig.Mounts (the daemon socket, bound by the docker CLI)', one(hc({ Mounts: [{ Type: 'bind', Source: '/var/run/docker.sock', Target: '/var/run/docker.sock' }] }))),
  F('user', 'Config.User', one(cfg({ User: '1000:1000' }))),
  F('userns', 'HostConfig.UsernsMode', one(hc({ UsernsMode: 'host' }))),
  F('uts', 'HostConfig.UTSMode', one(hc({ UTSMode: 'host' }))),
  F('volume', 'HostConfig.Binds, Config.Volumes', [
    ['/host:/data', hc({ Binds: ['/tmp:/data'] })],
    ['vol:/data', hc({ Binds: ['vol:/data'] })],
    ['/data (anonymous)', cfg({ Volumes: { '/data': {} } })],
  ]),
  F('volume-driver', 'HostConfig.VolumeDriver', [['local', hc({ VolumeDriver: 'local' })], ['other', hc({ VolumeDriver: 'other' })]]),
  F('volumes-from', 'HostConfig.VolumesFrom', one(hc({ VolumesFrom: ['other'] }))),
  F('workdir', 'Config.WorkingDir', one(cfg({ WorkingDir: '/w' }))),
];

function merge(a: Body, b: Body): Body {
  const out: Body = { ...a };
  for (const [k, v] of Object.entries(b)) {
    const prev = out[k];
    out[k] = prev && typeof prev === 'object' && !Array.isArray(prev) && v && typeof v === 'object' && !Array.isArray(v) ? merge(prev as Body, v as Body) : v;
  }
  return out;
}

/** What the dialect says to one body: undefined when it takes it, else its refusal. */
export function probeCreate(fragment: Body): string | undefined {
  const { '?name': name, ...rest } = fragment;
  try {
    createInputFromWire(merge({ Image: 'busybox', HostConfig: {} }, rest), typeof name === 'string' ? name : null);
    return undefined;
  } catch (e) {
    if (!isBerthError(e)) throw e;
    return e.message;
  }
}

/** A flag's status through the Engine API: done, refused (in the dialect's words) or done for some values. */
export function runFlagStatus(f: DockerRunFlag): string {
  if (f.samples.length === 0) return 'client side';
  const results = f.samples.map(([label, body]) => ({ label, refusal: probeCreate(body) }));
  if (results.every((r) => r.refusal === undefined)) return 'done';
  if (results.length === 1) return `refused: ${results[0]?.refusal}`;
  const done = results.filter((r) => r.refusal === undefined).map((r) => `\`${r.label}\``);
  const refused = results.filter((r) => r.refusal !== undefined).map((r) => `\`${r.label}\` (${r.refusal})`);
  return [done.length ? `done for ${done.join(', ')}` : '', `refused for ${refused.join(', ')}`].filter((s) => s !== '').join('; ');
}
