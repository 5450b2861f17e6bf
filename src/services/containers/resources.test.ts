import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cgroupResources } from './resources.js';

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
