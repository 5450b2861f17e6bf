import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resourcesFromHostConfig, securityFromHostConfig, ulimitsFromHostConfig } from './host-options.js';

test('HostConfig limits become cgroup resources as Docker reads them', () => {
  assert.deepEqual(resourcesFromHostConfig({ Memory: 64 << 20, NanoCpus: 1_500_000_000, PidsLimit: 50, CpuShares: 512 }), {
    memory: 64 << 20,
    cpuPeriod: 100_000,
    cpuQuota: 150_000,
    pidsLimit: 50,
    cpuShares: 512,
  });
  assert.deepEqual(resourcesFromHostConfig({}), {});
  assert.throws(() => resourcesFromHostConfig({ Memory: 1024 }), /Minimum memory limit allowed is 6MB/);
  assert.throws(() => resourcesFromHostConfig({ MemorySwap: 1 << 30 }), /always set the Memory limit/);
  assert.throws(() => resourcesFromHostConfig({ NanoCpus: 1e9, CpuPeriod: 1000 }), /Conflicting options/);
});

test('ulimits are checked', () => {
  assert.deepEqual(ulimitsFromHostConfig({ Ulimits: [{ Name: 'nofile', Soft: 100, Hard: 200 }] }), [{ name: 'nofile', soft: 100, hard: 200 }]);
  assert.throws(() => ulimitsFromHostConfig({ Ulimits: [{ Name: 'nofile', Soft: 300, Hard: 200 }] }), /soft limit/);
});

test('--security-opt: no-new-privileges and seccomp=unconfined|builtin|<profile JSON>, the rest refused', () => {
  assert.deepEqual(securityFromHostConfig({}), { noNewPrivileges: false });
  assert.deepEqual(securityFromHostConfig({ SecurityOpt: ['no-new-privileges'] }), { noNewPrivileges: true });
  assert.deepEqual(securityFromHostConfig({ SecurityOpt: ['no-new-privileges:true', 'no-new-privileges=false'] }), { noNewPrivileges: false });
  assert.deepEqual(securityFromHostConfig({ SecurityOpt: ['seccomp=unconfined'] }), { noNewPrivileges: false, seccomp: 'unconfined' });
  assert.deepEqual(securityFromHostConfig({ SecurityOpt: ['seccomp=unconfined', 'seccomp=builtin'] }), { noNewPrivileges: false });
  const profile = securityFromHostConfig({ SecurityOpt: ['seccomp={"defaultAction":"SCMP_ACT_ALLOW","syscalls":[{"names":["mkdir"],"action":"SCMP_ACT_ERRNO"}]}'] }).seccomp;
  assert.deepEqual(profile, { defaultAction: 'SCMP_ACT_ALLOW', syscalls: [{ names: ['mkdir'], action: 'SCMP_ACT_ERRNO' }] });
  assert.throws(() => securityFromHostConfig({ SecurityOpt: ['seccomp={"defaultAction":'] }), /decoding seccomp profile failed/);
  assert.throws(() => securityFromHostConfig({ SecurityOpt: ['seccomp=/etc/p.json'] }), /the docker CLI reads a profile file/);
  assert.throws(() => securityFromHostConfig({ SecurityOpt: ['apparmor=docker-default'] }), /apparmor is not supported/);
  assert.throws(() => securityFromHostConfig({ SecurityOpt: ['label=disable'] }), /label is not supported/);
  assert.throws(() => securityFromHostConfig({ SecurityOpt: ['bogus'] }), /invalid --security-opt: "bogus"/);
  assert.throws(() => securityFromHostConfig({ SecurityOpt: ['no-new-privileges=maybe'] }), /takes true or false/);
});
