import { test } from 'node:test';
import assert from 'node:assert/strict';
import { resourcesFromHostConfig, ulimitsFromHostConfig } from './host-options.js';

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
