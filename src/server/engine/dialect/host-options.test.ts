import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resourcesFromHostConfig, securityOptsFromHostConfig as securityFromHostConfig, ulimitsFromHostConfig, updateFromWire } from './host-options.js';
import { specFromHostConfig } from './create.js';

test('HostConfig limits become cgroup resources as Docker reads them', () => {
  assert.deepEqual(resourcesFromHostConfig({ Memory: 64 << 20, NanoCpus: 1_500_000_000, PidsLimit: 50, CpuShares: 512 }), {
    ulimits: [],
    memory: 64 << 20,
    nanoCpus: 1_500_000_000,
    pidsLimit: 50,
    cpuShares: 512,
  });
  assert.deepEqual(resourcesFromHostConfig({}), { ulimits: [] });
  assert.throws(() => resourcesFromHostConfig({ Memory: 1024 }), /Minimum memory limit allowed is 6MB/);
  assert.throws(() => resourcesFromHostConfig({ MemorySwap: 1 << 30 }), /always set the Memory limit/);
  assert.throws(() => resourcesFromHostConfig({ NanoCpus: 1e9, CpuPeriod: 1000 }), /Conflicting options/);
});

test('ulimits are checked', () => {
  assert.deepEqual(ulimitsFromHostConfig({ Ulimits: [{ Name: 'nofile', Soft: 100, Hard: 200 }] }), [{ name: 'nofile', soft: 100, hard: 200 }]);
  assert.throws(() => ulimitsFromHostConfig({ Ulimits: [{ Name: 'nofile', Soft: 300, Hard: 200 }] }), /soft limit/);
});

test('--security-opt: no-new-privileges and seccomp=unconfined|builtin|<profile JSON>, the rest refused', () => {
  const dflt = { mode: 'default' };
  assert.deepEqual(securityFromHostConfig({}), { noNewPrivileges: false, seccomp: dflt });
  assert.deepEqual(securityFromHostConfig({ SecurityOpt: ['no-new-privileges'] }), { noNewPrivileges: true, seccomp: dflt });
  assert.deepEqual(securityFromHostConfig({ SecurityOpt: ['no-new-privileges:true', 'no-new-privileges=false'] }), { noNewPrivileges: false, seccomp: dflt });
  assert.deepEqual(securityFromHostConfig({ SecurityOpt: ['seccomp=unconfined'] }), { noNewPrivileges: false, seccomp: { mode: 'unconfined' } });
  assert.deepEqual(securityFromHostConfig({ SecurityOpt: ['seccomp=unconfined', 'seccomp=builtin'] }), { noNewPrivileges: false, seccomp: dflt });
  const text = '{"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO"}]}';
  assert.deepEqual(securityFromHostConfig({ SecurityOpt: [`seccomp=${text}`] }).seccomp, { mode: 'profile', profile: text });
  assert.throws(() => securityFromHostConfig({ SecurityOpt: ['seccomp=/etc/p.json'] }), /the docker CLI reads a profile file/);
  assert.throws(() => securityFromHostConfig({ SecurityOpt: ['apparmor=docker-default'] }), /apparmor is not supported/);
  assert.throws(() => securityFromHostConfig({ SecurityOpt: ['label=disable'] }), /label is not supported/);
  assert.throws(() => securityFromHostConfig({ SecurityOpt: ['bogus'] }), /invalid --security-opt: "bogus"/);
  assert.throws(() => securityFromHostConfig({ SecurityOpt: ['no-new-privileges=maybe'] }), /takes true or false/);
});

test('docker update: limits merged over the current spec and checked as at create; restart policy; AutoRemove keeps "no"', () => {
  const spec = specFromHostConfig({ Memory: 32 << 20, NanoCpus: 1e9, ShmSize: 1 << 20, Ulimits: [{ Name: 'nofile', Soft: 1, Hard: 2 }] }, {});
  const u = updateFromWire(spec, { Memory: 48 << 20, MemorySwap: 96 << 20, PidsLimit: 33, RestartPolicy: { Name: 'on-failure', MaximumRetryCount: 3 } });
  assert.deepEqual(u.resources, { ulimits: [{ name: 'nofile', soft: 1, hard: 2 }], memory: 48 << 20, memorySwap: 96 << 20, nanoCpus: 1e9, pidsLimit: 33, shmSize: 1 << 20 });
  assert.deepEqual(u.restartPolicy, { name: 'on-failure', maximumRetryCount: 3 });
  assert.deepEqual(updateFromWire(spec, {}), {});
  assert.throws(() => updateFromWire(spec, { Memory: 1024 }), /Minimum memory limit/);
  assert.throws(() => updateFromWire(spec, { RestartPolicy: { Name: 'sometimes' } }), /invalid restart policy: sometimes/);
  const rm = specFromHostConfig({ AutoRemove: true }, {});
  assert.throws(() => updateFromWire(rm, { RestartPolicy: { Name: 'always' } }), /AutoRemove is enabled/);
});

test('CgroupParent, CpusetMems and MemorySwappiness into the spec; -1 and null inherit; 0 is a swappiness', () => {
  assert.deepEqual(resourcesFromHostConfig({ CgroupParent: 'mygroup', CpusetMems: '0', MemorySwappiness: 0 }), { ulimits: [], cgroupParent: 'mygroup', cpusetMems: '0', memorySwappiness: 0 });
  assert.deepEqual(resourcesFromHostConfig({ CgroupParent: '', CpusetMems: '', MemorySwappiness: -1 }), { ulimits: [] });
  assert.deepEqual(resourcesFromHostConfig({ MemorySwappiness: null }), { ulimits: [] });
  for (const v of [101, -2, 1.5]) assert.throws(() => resourcesFromHostConfig({ MemorySwappiness: v }), new RegExp(`^InvalidArgument: Invalid value: ${v}, valid memory swappiness range is 0-100$`));
  assert.throws(() => resourcesFromHostConfig({ CgroupParent: 5 }), /HostConfig\.CgroupParent must be a string/);
});

test('docker update changes CpusetMems and keeps the parent and swappiness it cannot change', () => {
  const spec = { resources: { ulimits: [], cgroupParent: '/p', memorySwappiness: 10, cpusetMems: '0' } } as unknown as Parameters<typeof updateFromWire>[0];
  const u = updateFromWire(spec, { CpusetMems: '1', CgroupParent: '', Memory: 0 });
  assert.deepEqual(u.resources, { ulimits: [], cgroupParent: '/p', memorySwappiness: 10, cpusetMems: '1' });
  assert.equal(updateFromWire(spec, { CpusetMems: '' }).resources, undefined, 'an empty CpusetMems (the CLI\'s zero) asks for nothing');
});

test('an update that would move the container\'s cgroup or change its swappiness is refused, not ignored', () => {
  const spec = { resources: { ulimits: [], cgroupParent: '/p', memorySwappiness: 10 }, lifecycle: { autoRemove: false } } as unknown as Parameters<typeof updateFromWire>[0];
  assert.throws(() => updateFromWire(spec, { CgroupParent: '/q' }), /^InvalidArgument: HostConfig\.CgroupParent cannot be changed by docker update/);
  assert.throws(() => updateFromWire(spec, { MemorySwappiness: 20 }), /HostConfig\.MemorySwappiness cannot be changed/);
  // What the docker CLI sends (zero values), and the values the container has, ask for no change.
  assert.deepEqual(updateFromWire(spec, { CgroupParent: '', MemorySwappiness: null }), {});
  assert.deepEqual(updateFromWire(spec, { CgroupParent: '/p', MemorySwappiness: 10 }), {});
});
