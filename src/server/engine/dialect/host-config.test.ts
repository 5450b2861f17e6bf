import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerRecord } from '../../../services/index.js';
import { createInputFromWire } from './create.js';
import { wireHostConfig } from './host-config.js';

/** A record as the container service stores it for this create body: the spec and the Docker view. */
function fromBody(hc: Record<string, unknown>, extra: Record<string, unknown> = {}): ContainerRecord {
  const input = createInputFromWire({ Image: 'busybox', ...extra, HostConfig: hc }, null);
  return { spec: input.spec, ...(input.views ? { views: input.views } : {}) } as unknown as ContainerRecord;
}

function rec(hc: Record<string, unknown>, privileged = false): ContainerRecord {
  return fromBody({ ...hc, Privileged: privileged });
}

test('zero values where nothing was sent; what berth decided and dockerd create-time defaults over them', () => {
  const hc = wireHostConfig(rec({}));
  assert.equal(hc['Links'], null);
  assert.equal(hc['DeviceCgroupRules'], null);
  assert.equal(hc['Dns'], null);
  assert.equal(hc['Runtime'], 'runc');
  assert.equal(hc['ShmSize'], 64 * 1024 * 1024);
  assert.deepEqual(hc['LogConfig'], { Type: 'json-file', Config: {} });
  assert.equal(Object.keys(hc)[0], 'Binds');
  assert.equal(Object.keys(hc).at(-1), 'ReadonlyPaths');
  for (const omitted of ['Annotations', 'StorageOpt', 'Tmpfs', 'Sysctls', 'KernelMemory', 'Mounts', 'Init']) assert.ok(!(omitted in hc), omitted);
});

test('what the client sent is echoed in place; omitempty keys appear when set; privileged masks nothing', () => {
  const hc = wireHostConfig(rec({ Dns: ['1.1.1.1'], Sysctls: { 'net.ipv4.ip_forward': '1' }, ShmSize: 1024, Init: true }, true));
  assert.deepEqual(hc['Dns'], ['1.1.1.1']);
  assert.equal(hc['ShmSize'], 1024);
  assert.deepEqual(hc['Sysctls'], { 'net.ipv4.ip_forward': '1' });
  const keys = Object.keys(hc);
  assert.ok(keys.indexOf('Sysctls') < keys.indexOf('Runtime') && keys.indexOf('Sysctls') > keys.indexOf('ShmSize'), 'in Docker order');
  assert.equal(hc['Init'], true);
  assert.equal(hc['MaskedPaths'], null);
});

test('round trip: what the docker CLI sends for `run -m 64m --cpus 1.5 --pids-limit 20 -p 8080:80 --restart on-failure:2 --dns 1.1.1.1 -v v:/d:ro --ulimit nofile=10:20` comes back in inspect', () => {
  const sent = {
    Binds: ['v:/d:ro'], ContainerIDFile: '', LogConfig: { Type: '', Config: {} }, NetworkMode: 'default', PortBindings: { '80/tcp': [{ HostIp: '', HostPort: '8080' }] },
    RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 2 }, AutoRemove: false, VolumeDriver: '', VolumesFrom: null, ConsoleSize: [0, 0], CapAdd: null, CapDrop: null,
    CgroupnsMode: '', Dns: ['1.1.1.1'], DnsOptions: [], DnsSearch: [], ExtraHosts: null, GroupAdd: null, IpcMode: '', Cgroup: '', Links: null, OomScoreAdj: 0, PidMode: '',
    Privileged: false, PublishAllPorts: false, ReadonlyRootfs: false, SecurityOpt: null, UTSMode: '', UsernsMode: '', ShmSize: 0, Isolation: '', CpuShares: 0,
    Memory: 64 << 20, NanoCpus: 1_500_000_000, CgroupParent: '', BlkioWeight: 0, BlkioWeightDevice: [], BlkioDeviceReadBps: [], BlkioDeviceWriteBps: [],
    BlkioDeviceReadIOps: [], BlkioDeviceWriteIOps: [], CpuPeriod: 0, CpuQuota: 0, CpuRealtimePeriod: 0, CpuRealtimeRuntime: 0, CpusetCpus: '', CpusetMems: '',
    Devices: [], DeviceCgroupRules: null, DeviceRequests: null, MemoryReservation: 0, MemorySwap: 0, MemorySwappiness: null, OomKillDisable: false, PidsLimit: 20,
    Ulimits: [{ Name: 'nofile', Hard: 20, Soft: 10 }], CpuCount: 0, CpuPercent: 0, IOMaximumIOps: 0, IOMaximumBandwidth: 0, MaskedPaths: null, ReadonlyPaths: null,
  };
  const c = fromBody(sent);
  assert.deepEqual(c.spec.resources, { ulimits: [{ name: 'nofile', soft: 10, hard: 20 }], memory: 64 << 20, nanoCpus: 1_500_000_000, pidsLimit: 20 });
  assert.deepEqual(c.spec.mounts.map((m) => [m.type, m.source, m.destination, m.rw]), [['volume', 'v', '/d', false]]);
  assert.deepEqual(c.spec.lifecycle.restartPolicy, { name: 'on-failure', maximumRetryCount: 2 });
  assert.deepEqual(c.spec.networking.dns.servers, ['1.1.1.1']);
  const hc = wireHostConfig(c);
  for (const [k, v] of Object.entries(sent)) {
    // What berth decides rather than echoes: dockerd's create-time defaults.
    if (['LogConfig', 'CgroupnsMode', 'IpcMode', 'ShmSize', 'MaskedPaths', 'ReadonlyPaths'].includes(k)) continue;
    assert.deepEqual(hc[k], v, k);
  }
  assert.deepEqual(hc['LogConfig'], { Type: 'json-file', Config: {} });
  assert.equal(hc['IpcMode'], 'private');
  assert.equal(hc['CgroupnsMode'], 'host');
});

test('security, namespaces and init are typed in the spec and rendered back', () => {
  const c = fromBody({ SecurityOpt: ['no-new-privileges', 'seccomp=unconfined'], CapAdd: ['NET_ADMIN'], UsernsMode: 'host', IpcMode: 'shareable', Init: true, Sysctls: { 'net.core.somaxconn': '1024' }, GroupAdd: ['audio'], Devices: [{ PathOnHost: '/dev/null', PathInContainer: '/dev/x', CgroupPermissions: 'rw' }], DeviceCgroupRules: ['c 1:3 rw'] });
  assert.equal(c.spec.security.noNewPrivileges, true);
  assert.deepEqual(c.spec.security.seccomp, { mode: 'unconfined' });
  assert.deepEqual(c.spec.security.devices, [{ pathOnHost: '/dev/null', pathInContainer: '/dev/x', permissions: 'rw' }]);
  assert.deepEqual(c.spec.security.deviceCgroupRules, [{ type: 'c', major: 1, minor: 3, access: 'rw' }]);
  assert.deepEqual(c.spec.namespaces.user, { mode: 'host' });
  assert.deepEqual(c.spec.namespaces.ipc, { mode: 'private', shareable: true });
  assert.equal(c.spec.lifecycle.init, true);
  const hc = wireHostConfig(c);
  assert.deepEqual(hc['SecurityOpt'], ['no-new-privileges', 'seccomp=unconfined']);
  assert.deepEqual(hc['CapAdd'], ['NET_ADMIN']);
  assert.equal(hc['UsernsMode'], 'host');
  assert.equal(hc['IpcMode'], 'shareable');
  assert.equal(hc['Init'], true);
  assert.deepEqual(hc['Sysctls'], { 'net.core.somaxconn': '1024' });
  assert.deepEqual(hc['DeviceCgroupRules'], ['c 1:3 rw']);
});

test('create refuses what the spec cannot hold, with the words services used to give', () => {
  assert.throws(() => fromBody({ Memory: 1024 }), /Minimum memory limit allowed is 6MB/);
  assert.throws(() => fromBody({ UsernsMode: 'private' }), /invalid userns mode: "private"/);
  assert.throws(() => fromBody({ Binds: ['v:/d', 'w:/d'] }), /Duplicate mount point: \/d/);
  assert.throws(() => fromBody({ VolumesFrom: ['web:z'] }), /invalid mode for volumes-from: z/);
  assert.throws(() => fromBody({ SecurityOpt: ['apparmor=docker-default'] }), /apparmor is not supported/);
});

test('the Docker view keeps only the spellings the spec does not give back, and inspect shows them', () => {
  const sent = {
    Binds: ['v:/d:ro', '/h:/h'], Dns: ['1.1.1.1'], DnsOptions: [], SecurityOpt: ['seccomp:unconfined', 'no-new-privileges'], Tmpfs: { '/t': 'size=1m' },
    Ulimits: [{ Name: 'nofile', Hard: 20, Soft: 10 }], BlkioWeightDevice: [], ConsoleSize: [0, 0], ContainerIDFile: '', VolumesFrom: null, IpcMode: '',
  };
  const c = fromBody(sent);
  assert.deepEqual(c.views, { docker: { DnsOptions: [], SecurityOpt: ['seccomp:unconfined', 'no-new-privileges'], BlkioWeightDevice: [] } });
  const hc = wireHostConfig(c);
  for (const [k, v] of Object.entries(sent)) if (k !== 'IpcMode') assert.deepEqual(hc[k], v, k);
  assert.equal(hc['IpcMode'], 'private', 'decided, not echoed');
  assert.equal(fromBody({ Binds: [] }).views, undefined, 'an empty Binds shows as null, as dockerd shows it');
  assert.equal(wireHostConfig(fromBody({ Binds: [] }))['Binds'], null);
  assert.deepEqual(fromBody({ Binds: ['v:/d/'] }).views, { docker: { Binds: ['v:/d/'] } }, 'a destination written otherwise is echoed as written');
});

test('NetworkMode: host and container:<x> are namespaces of the spec, shown back as Docker spells them', () => {
  const joined = fromBody({ NetworkMode: 'container:web' });
  assert.deepEqual(joined.spec.namespaces.network, { mode: 'container', target: 'web' });
  assert.equal(joined.spec.networking.network, '');
  assert.equal(wireHostConfig(joined)['NetworkMode'], 'container:web');
  const host = fromBody({ NetworkMode: 'host' });
  assert.deepEqual(host.spec.namespaces.network, { mode: 'host' });
  assert.equal(wireHostConfig(host)['NetworkMode'], 'host');
  const user = fromBody({ NetworkMode: 'mynet' });
  assert.deepEqual(user.spec.namespaces.network, { mode: 'private' });
  assert.equal(wireHostConfig(user)['NetworkMode'], 'mynet');
  assert.equal(wireHostConfig(fromBody({}))['NetworkMode'], 'default');
  assert.deepEqual(fromBody({ NetworkMode: 'container:' }).spec.namespaces.network, { mode: 'container', target: '' }, 'refused later, as a container not found');
});

test('StorageOpt: shown as the create gave it, left out when none was given', () => {
  assert.deepEqual(wireHostConfig(rec({ StorageOpt: { size: '20M' } }))['StorageOpt'], { size: '20M' });
  assert.ok(!('StorageOpt' in wireHostConfig(rec({ StorageOpt: {} }))));
});
