import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerRecord } from '../../core/metadata/index.js';
import { cgroupParentOf, cgroupResources, checkCgroupParent } from './resources.js';

test('a spec\'s limits become cgroup values: CPUs as a quota over 100 ms, only a positive pids limit', () => {
  assert.deepEqual(cgroupResources({ memory: 64 << 20, nanoCpus: 1_500_000_000, pidsLimit: 50, cpuShares: 512, ulimits: [] }), {
    memory: 64 << 20,
    cpuPeriod: 100_000,
    cpuQuota: 150_000,
    pidsLimit: 50,
    cpuShares: 512,
  });
  assert.deepEqual(cgroupResources({ pidsLimit: -1, cpuQuota: 5000, cpuPeriod: 10000, ulimits: [] }), { cpuQuota: 5000, cpuPeriod: 10000 });
  assert.deepEqual(cgroupResources({ ulimits: [] }), {});
});

test('cpuset memory nodes and swappiness reach the cgroup values; 0 is a swappiness', () => {
  assert.deepEqual(cgroupResources({ cpusetMems: '0', memorySwappiness: 0, ulimits: [] }), { cpusetMems: '0', memorySwappiness: 0 });
});

test('a cgroup parent that leaves the tree is refused; the spec\'s parent wins over the daemon default', () => {
  for (const ok of ['mygroup', '/a/b', 'a.slice', '/']) checkCgroupParent(ok, '--cgroup-parent');
  for (const bad of ['..', '../x', '/a/../../b', 'a/./b']) assert.throws(() => checkCgroupParent(bad, '--cgroup-parent'), /invalid --cgroup-parent .*may not contain "\." or "\.\."/, bad);
  assert.throws(() => checkCgroupParent('a\nb', 'daemon.json cgroup-parent'), /invalid daemon\.json cgroup-parent .*control characters/);
  const rec = { spec: { resources: { ulimits: [] } }, cgroupParent: 'dflt' } as unknown as ContainerRecord;
  assert.equal(cgroupParentOf(rec), 'dflt');
  rec.spec.resources.cgroupParent = 'own';
  assert.equal(cgroupParentOf(rec), 'own');
  assert.equal(cgroupParentOf({ spec: { resources: { ulimits: [] } } } as unknown as ContainerRecord), undefined);
});
