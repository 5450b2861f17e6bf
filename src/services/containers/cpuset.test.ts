import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { CgroupFeatures } from '../../core/runtime/index.js';
import { checkCpusetAndSwappiness, parseCpuList } from './cpuset.js';

const V1: CgroupFeatures = { v2: false, oomKillDisable: true, cpuRealtime: true, blkioWeight: true, blkioWeightDevice: true, blkioThrottle: true, cgroupNamespaces: true, memorySwappiness: true, cpusetCpus: '0-3', cpusetMems: '0-1', oomScoreAdjFloor: 0 };

test('cpuset lists parse as the kernel writes them; anything else is no list', () => {
  assert.deepEqual([...(parseCpuList('0-2,5') ?? [])], [0, 1, 2, 5]);
  assert.deepEqual([...(parseCpuList('') ?? [])], []);
  for (const bad of ['a', '1-', '3-1', '1,,2', ' 1', '-1']) assert.equal(parseCpuList(bad), undefined, bad);
});

test('cpus and memory nodes must be the host\'s, in dockerd\'s words', () => {
  checkCpusetAndSwappiness({ cpusetCpus: '1-3', cpusetMems: '1', memorySwappiness: 60, ulimits: [] }, V1);
  assert.throws(() => checkCpusetAndSwappiness({ cpusetMems: '2', ulimits: [] }, V1), /^InvalidArgument: Requested memory nodes are not available - requested 2, available: 0-1$/);
  assert.throws(() => checkCpusetAndSwappiness({ cpusetMems: 'x', ulimits: [] }, V1), /Invalid value x for cpuset mems/);
  assert.throws(() => checkCpusetAndSwappiness({ cpusetCpus: '0-4', ulimits: [] }, V1), /Requested CPUs are not available - requested 0-4, available: 0-3/);
  const { cpusetMems: _m, ...noCpuset } = V1;
  assert.throws(() => checkCpusetAndSwappiness({ cpusetMems: '0', ulimits: [] }, noCpuset), /does not support cpuset/);
});

test('swappiness where the memory controller has none (cgroup v2) is refused with Docker\'s warning words', () => {
  assert.throws(() => checkCpusetAndSwappiness({ memorySwappiness: 10, ulimits: [] }, { ...V1, v2: true, memorySwappiness: false }), /Your kernel does not support memory swappiness capabilities or the cgroup is not mounted\. Memory swappiness discarded/);
  checkCpusetAndSwappiness({ ulimits: [] }, { ...V1, memorySwappiness: false });
});
