import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidArgument } from '../../errdefs/index.js';
import { normalizeSignal } from './signals.js';
import { cgroupsPathOf, generateSpec, resolveCapabilities } from './spec.js';
import type { ContainerSpecInput } from './spec.js';

const host = { nofile: { soft: 1024, hard: 20000 } };
const base: ContainerSpecInput = {
  id: 'abc',
  rootfs: '/var/lib/berth/containers/abc/rootfs',
  bundleDir: '/var/lib/berth/containers/abc',
  args: ['sh'],
  env: ['A=1'],
  cwd: '/',
  user: { uid: 1000, gid: 1000, additionalGids: [10] },
  hostname: 'abc',
  tty: false,
  openStdin: false,
  network: { mode: 'none' },
};

test('defaults follow Docker: namespaces, caps, masks, mounts, cgroup path', () => {
  const s = generateSpec(base, host);
  assert.deepEqual(
    s.linux.namespaces.map((n) => n.type).sort(),
    ['ipc', 'mount', 'network', 'pid', 'uts'],
  );
  assert.equal(s.process.capabilities.bounding.length, 14);
  assert.ok(s.process.capabilities.effective.includes('CAP_NET_BIND_SERVICE'));
  assert.ok(!s.process.capabilities.bounding.includes('CAP_SYS_ADMIN'));
  assert.ok(s.linux.maskedPaths.includes('/proc/kcore'));
  assert.ok(s.linux.readonlyPaths.includes('/proc/sys'));
  assert.deepEqual(
    s.mounts.map((m) => m.destination),
    ['/proc', '/dev', '/dev/pts', '/sys', '/sys/fs/cgroup', '/dev/mqueue', '/dev/shm'],
  );
  assert.ok(s.mounts.find((m) => m.destination === '/sys')?.options.includes('ro'));
  assert.ok(s.mounts.find((m) => m.destination === '/dev/shm')?.options.includes('size=67108864'));
  assert.equal(s.linux.cgroupsPath, '/berth/abc');
  // A parent is rooted however it is written (runc would put a relative one under berthd's own cgroup).
  assert.equal(cgroupsPathOf('mygroup', 'abc'), '/mygroup/abc');
  assert.equal(cgroupsPathOf('/a//b/', 'abc'), '/a/b/abc');
  assert.equal(cgroupsPathOf('/', 'abc'), '/abc');
  assert.equal(cgroupsPathOf(undefined, 'abc'), '/berth/abc');
  assert.equal(s.process.noNewPrivileges, false);
  assert.deepEqual(s.process.user, { uid: 1000, gid: 1000, additionalGids: [10] });
  assert.equal(s.hostname, 'abc');
  assert.equal(s.root.readonly, false);
  assert.ok(s.process.env.some((e) => e.startsWith('PATH=/usr/local/sbin')));
  assert.ok(s.process.env.includes('HOSTNAME=abc'));
  assert.ok(s.process.env.includes('A=1'));
  assert.equal(s.linux.resources.devices[0]?.allow, false);
});

test('RLIMIT_NOFILE is clamped to the host hard limit', () => {
  const s = generateSpec(base, host);
  assert.deepEqual(s.process.rlimits, [{ type: 'RLIMIT_NOFILE', hard: 20000, soft: 20000 }]);
  const big = generateSpec(base, { nofile: { soft: 1024, hard: 4_000_000 } });
  assert.equal(big.process.rlimits[0]?.hard, 1048576);
});

test('network modes: host shares the netns, path joins one', () => {
  const h = generateSpec({ ...base, network: { mode: 'host' } }, host);
  assert.ok(!h.linux.namespaces.some((n) => n.type === 'network'));
  assert.equal(h.linux.sysctl?.['net.ipv4.ip_unprivileged_port_start'], undefined);
  const p = generateSpec({ ...base, network: { mode: 'path', netnsPath: '/run/netns/x' } }, host);
  assert.deepEqual(
    p.linux.namespaces.find((n) => n.type === 'network'),
    { type: 'network', path: '/run/netns/x' },
  );
});

test('etc files, user mounts, readonly rootfs, annotations, tty', () => {
  const s = generateSpec(
    {
      ...base,
      tty: true,
      readonlyRootfs: true,
      etcHosts: '/x/hosts',
      resolvConf: '/x/resolv.conf',
      etcHostname: '/x/hostname',
      mounts: [{ source: '/data', destination: '/data', type: 'bind', options: ['rbind', 'ro'] }, { source: 'shm', destination: '/dev/shm', type: 'tmpfs', options: ['size=1g'] }],
      annotations: { a: 'b' },
    },
    host,
  );
  assert.equal(s.root.readonly, true);
  assert.equal(s.process.terminal, true);
  assert.ok(s.process.env.includes('TERM=xterm'));
  assert.equal(s.mounts.find((m) => m.destination === '/etc/hosts')?.source, '/x/hosts');
  assert.equal(s.mounts.find((m) => m.destination === '/etc/resolv.conf')?.source, '/x/resolv.conf');
  assert.equal(s.mounts.find((m) => m.destination === '/etc/hostname')?.source, '/x/hostname');
  assert.deepEqual(s.mounts.find((m) => m.destination === '/data')?.options, ['rbind', 'ro']);
  assert.equal(s.mounts.filter((m) => m.destination === '/dev/shm').length, 1);
  assert.deepEqual(s.mounts.find((m) => m.destination === '/dev/shm')?.options, ['size=1g']);
  assert.deepEqual(s.annotations, { a: 'b' });
  assert.throws(() => generateSpec({ ...base, mounts: [{ source: '/a', destination: 'rel', type: 'bind', options: [] }] }, host), InvalidArgument);
});

test('capabilities: add, drop, ALL, privileged, unknown', () => {
  assert.ok(resolveCapabilities({ capAdd: ['NET_ADMIN'] }).includes('CAP_NET_ADMIN'));
  assert.ok(!resolveCapabilities({ capDrop: ['chown'] }).includes('CAP_CHOWN'));
  assert.deepEqual(resolveCapabilities({ capDrop: ['ALL'], capAdd: ['CAP_KILL'] }), ['CAP_KILL']);
  assert.ok(resolveCapabilities({ capAdd: ['ALL'] }).includes('CAP_SYS_ADMIN'));
  assert.ok(!resolveCapabilities({ capAdd: ['ALL'], capDrop: ['SYS_ADMIN'] }).includes('CAP_SYS_ADMIN'));
  assert.throws(() => resolveCapabilities({ capAdd: ['BOGUS'] }), InvalidArgument);
  const p = generateSpec({ ...base, privileged: true }, host);
  assert.ok(p.process.capabilities.bounding.includes('CAP_SYS_ADMIN'));
  assert.deepEqual(p.linux.maskedPaths, []);
  assert.deepEqual(p.linux.resources.devices, [{ allow: true, access: 'rwm' }]);
  assert.ok(!p.mounts.find((m) => m.destination === '/sys')?.options.includes('ro'));
});

test('masked and read-only paths: as given, the defaults when none are, none when privileged', () => {
  const own = generateSpec({ ...base, maskedPaths: ['/proc/kcore', '/secret'], readonlyPaths: [] }, host);
  assert.deepEqual(own.linux.maskedPaths, ['/proc/kcore', '/secret']);
  assert.deepEqual(own.linux.readonlyPaths, []);
  assert.ok(generateSpec(base, host).linux.readonlyPaths.includes('/proc/sys'));
  const p = generateSpec({ ...base, privileged: true, maskedPaths: ['/secret'], readonlyPaths: ['/proc/sys'] }, host);
  assert.deepEqual([p.linux.maskedPaths, p.linux.readonlyPaths], [[], []]);
});

test('a shared bind mount makes the root shared, a slave one a slave; private ones leave runc\'s default', () => {
  const m = (p: string) => ({ source: '/src', destination: '/dst', type: 'bind', options: ['rbind', 'rw', p] });
  assert.equal(generateSpec({ ...base, mounts: [m('rslave'), m('rshared')] }, host).linux.rootfsPropagation, 'rshared');
  assert.equal(generateSpec({ ...base, mounts: [m('rslave')] }, host).linux.rootfsPropagation, 'rslave');
  assert.equal(generateSpec({ ...base, mounts: [m('rprivate')] }, host).linux.rootfsPropagation, undefined);
});

test('empty command and relative rootfs are refused', () => {
  assert.throws(() => generateSpec({ ...base, args: [] }, host), InvalidArgument);
  assert.throws(() => generateSpec({ ...base, rootfs: 'rel' }, host), InvalidArgument);
});

test('signals normalize to runc names', () => {
  assert.equal(normalizeSignal('TERM'), 'SIGTERM');
  assert.equal(normalizeSignal('sigkill'), 'SIGKILL');
  assert.equal(normalizeSignal(9), 'SIGKILL');
  assert.equal(normalizeSignal('15'), 'SIGTERM');
  assert.throws(() => normalizeSignal('NOPE'), InvalidArgument);
  assert.throws(() => normalizeSignal(0), InvalidArgument);
});

test('resources: memory with the Docker default swap, cpu, pids; tiny memory refused', () => {
  const s = generateSpec({ ...base, resources: { memory: 64 << 20, cpuShares: 512, cpuQuota: 50000, cpuPeriod: 100000, pidsLimit: 100 } }, host);
  assert.deepEqual(s.linux.resources.memory, { limit: 64 << 20, swap: 128 << 20 });
  assert.deepEqual(s.linux.resources.cpu, { shares: 512, quota: 50000, period: 100000 });
  assert.deepEqual(s.linux.resources.pids, { limit: 100 });
  assert.equal(generateSpec({ ...base, resources: { memory: 64 << 20, memorySwap: -1 } }, host).linux.resources.memory?.swap, -1);
  assert.equal(generateSpec(base, host).linux.resources.memory, undefined);
  assert.throws(() => generateSpec({ ...base, resources: { memory: 1 << 20 } }, host), /Minimum memory limit allowed is 6MB/);
  assert.throws(() => generateSpec({ ...base, resources: { memory: 64 << 20, memorySwap: 32 << 20 } }, host), InvalidArgument);
});

test('ulimits are clamped to the host hard limits', () => {
  const h = { nofile: { soft: 1024, hard: 20000 }, hardLimits: { RLIMIT_NPROC: 500, RLIMIT_NOFILE: 20000, RLIMIT_CORE: Infinity } };
  const s = generateSpec({ ...base, ulimits: [{ name: 'nofile', soft: 1048576, hard: 1048576 }, { name: 'nproc', soft: 100, hard: 1000 }, { name: 'core', soft: 0, hard: 0 }] }, h);
  assert.deepEqual(s.process.rlimits, [
    { type: 'RLIMIT_NOFILE', soft: 20000, hard: 20000 },
    { type: 'RLIMIT_NPROC', soft: 100, hard: 500 },
    { type: 'RLIMIT_CORE', soft: 0, hard: 0 },
  ]);
  assert.throws(() => generateSpec({ ...base, ulimits: [{ name: 'bogus', soft: 1, hard: 1 }] }, h), InvalidArgument);
  assert.throws(() => generateSpec({ ...base, ulimits: [{ name: 'nofile', soft: 2, hard: 1 }] }, h), InvalidArgument);
});

test('a remapped container gets a user namespace with its maps; ping range and cgroup mount fit inside it', () => {
  const idMap = { uids: [{ containerId: 0, hostId: 100000, size: 65536 }], gids: [{ containerId: 0, hostId: 200000, size: 1000 }] };
  const s = generateSpec({ ...base, idMap }, host);
  assert.ok(s.linux.namespaces.some((n) => n.type === 'user' && n.path === undefined));
  assert.deepEqual(s.linux.uidMappings, [{ containerID: 0, hostID: 100000, size: 65536 }]);
  assert.deepEqual(s.linux.gidMappings, [{ containerID: 0, hostID: 200000, size: 1000 }]);
  assert.equal(s.linux.sysctl?.['net.ipv4.ping_group_range'], '0 999');
  assert.ok(!s.mounts.find((m) => m.type === 'cgroup')?.options.includes('ro'));
  assert.equal(s.mounts.find((m) => m.destination === '/sys')?.type, 'sysfs', 'its own netns: its own sysfs');
  const joined = generateSpec({ ...base, idMap, network: { mode: 'path', netnsPath: '/run/netns/x' } }, host);
  assert.deepEqual(joined.mounts.find((m) => m.destination === '/sys'), { destination: '/sys', type: 'bind', source: '/sys', options: ['rbind', 'nosuid', 'noexec', 'nodev', 'ro'] });
  const plain = generateSpec(base, host);
  assert.ok(!plain.linux.namespaces.some((n) => n.type === 'user'));
  assert.equal(plain.linux.uidMappings, undefined);
  assert.equal(plain.linux.sysctl?.['net.ipv4.ping_group_range'], '0 2147483647');
  assert.ok(plain.mounts.find((m) => m.type === 'cgroup')?.options.includes('ro'));
});

test('seccomp: the default profile unless unconfined or privileged; a given profile replaces it', () => {
  const h = { ...host, kernel: { major: 6, minor: 1 }, arch: 'x64' };
  const s = generateSpec(base, h);
  assert.equal(s.linux.seccomp?.defaultAction, 'SCMP_ACT_ERRNO');
  assert.ok(s.linux.seccomp?.syscalls?.some((r) => r.names.includes('execve')));
  assert.equal(generateSpec({ ...base, seccomp: 'unconfined' }, h).linux.seccomp, undefined);
  assert.equal(generateSpec({ ...base, privileged: true }, h).linux.seccomp, undefined);
  const own = { defaultAction: 'SCMP_ACT_ALLOW' as const, syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' as const, errnoRet: 1 }] };
  assert.deepEqual(generateSpec({ ...base, seccomp: own }, h).linux.seccomp, { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO', errnoRet: 1 }] });
  assert.equal(generateSpec({ ...base, privileged: true, seccomp: own }, h).linux.seccomp, undefined, 'as Docker: privileged wins over a profile');
  // The rules see the container's capabilities: --cap-add SYS_ADMIN allows mount.
  const admin = generateSpec({ ...base, capAdd: ['SYS_ADMIN'] }, h).linux.seccomp;
  assert.ok(admin?.syscalls?.some((r) => r.names.includes('mount') && r.action === 'SCMP_ACT_ALLOW'));
  assert.ok(!s.linux.seccomp?.syscalls?.some((r) => r.names.includes('mount')));
});

test('resolveCapabilities leaves out what the host bounding set lacks', () => {
  // Bit 24 is CAP_SYS_RESOURCE, missing in this sandbox.
  const bnd = ((1n << 41n) - 1n) & ~(1n << 24n);
  const caps = resolveCapabilities({ privileged: true }, { ...host, capBounding: bnd });
  assert.equal(caps.length, 40);
  assert.ok(!caps.includes('CAP_SYS_RESOURCE'));
});

test('device cgroup rules follow the defaults as allow rules; privileged keeps only allow-all', () => {
  const rules = [{ type: 'c' as const, major: 42, minor: 0, access: 'rwm' }, { type: 'b' as const, access: 'm' }];
  const s = generateSpec({ ...base, deviceRules: rules }, host);
  assert.deepEqual(s.linux.resources.devices.slice(-2), [
    { allow: true, type: 'c', major: 42, minor: 0, access: 'rwm' },
    { allow: true, type: 'b', access: 'm' },
  ]);
  assert.equal(s.linux.resources.devices[0]?.allow, false, 'deny-all still comes first');
  const p = generateSpec({ ...base, privileged: true, deviceRules: rules }, host);
  assert.deepEqual(p.linux.resources.devices, [{ allow: true, access: 'rwm' }]);
});

test('namespace modes: the host\'s leaves the namespace out, a joined one has its path, cgroup only when private', () => {
  const s = generateSpec({ ...base, namespaces: { pid: { mode: 'host' }, ipc: { mode: 'path', path: '/proc/42/ns/ipc' }, uts: 'host', cgroup: 'private' }, noShm: true, oomScoreAdj: 300 }, host);
  assert.deepEqual(s.linux.namespaces, [{ type: 'mount' }, { type: 'ipc', path: '/proc/42/ns/ipc' }, { type: 'cgroup' }, { type: 'network' }]);
  assert.equal(s.hostname, '', 'no hostname without a UTS namespace of its own');
  assert.ok(!s.mounts.some((m) => m.destination === '/dev/shm'), 'IPC none: no /dev/shm');
  assert.equal(s.process.oomScoreAdj, 300);
  assert.ok(!('oomScoreAdj' in generateSpec(base, host).process));
  const idMap = { uids: [{ containerId: 0, hostId: 100000, size: 65536 }], gids: [{ containerId: 0, hostId: 100000, size: 65536 }] };
  const joined = generateSpec({ ...base, idMap, userNamespacePath: '/proc/77/ns/user', namespaces: { pid: { mode: 'path', path: '/proc/77/ns/pid' } } }, host);
  assert.deepEqual(joined.linux.namespaces.filter((n) => n.type === 'user' || n.type === 'pid'), [{ type: 'pid', path: '/proc/77/ns/pid' }, { type: 'user', path: '/proc/77/ns/user' }]);
});

test('OOM killer, real-time CPU and block I/O limits go to linux.resources', () => {
  const dev = { major: 254, minor: 0 };
  const s = generateSpec({
    ...base,
    resources: {
      memory: 32 << 20, oomKillDisable: true, cpuRealtimePeriod: 1000000, cpuRealtimeRuntime: 10000,
      blockIO: { weight: 300, weightDevice: [{ ...dev, weight: 200 }], throttleReadBpsDevice: [{ ...dev, rate: 1024 }], throttleWriteBpsDevice: [], throttleReadIOPSDevice: [], throttleWriteIOPSDevice: [{ ...dev, rate: 7 }] },
    },
  }, host);
  assert.equal(s.linux.resources.memory?.disableOOMKiller, true);
  assert.equal(s.linux.resources.cpu?.realtimePeriod, 1000000);
  assert.equal(s.linux.resources.cpu?.realtimeRuntime, 10000);
  assert.deepEqual(s.linux.resources.blockIO, { weight: 300, weightDevice: [{ ...dev, weight: 200 }], throttleReadBpsDevice: [{ ...dev, rate: 1024 }], throttleWriteIOPSDevice: [{ ...dev, rate: 7 }] });
});

test('hooks (from CDI specs) go into the spec; none leaves the key out', () => {
  assert.equal(generateSpec(base, host).hooks, undefined);
  assert.equal(generateSpec({ ...base, hooks: { poststart: [] } }, host).hooks, undefined);
  const s = generateSpec({ ...base, hooks: { createContainer: [{ path: '/bin/hook', args: ['hook', '-v'], timeout: 5 }] } }, host);
  assert.deepEqual(s.hooks, { createContainer: [{ path: '/bin/hook', args: ['hook', '-v'], timeout: 5 }] });
});
