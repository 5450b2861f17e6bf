import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerRecord } from '../../../services/index.js';
import { createInputFromWire } from './create.js';
import { wireHostConfig } from './host-config.js';
import { createWarnings, moreLimitsFromHostConfig } from './limits.js';
import { updateFromWire } from './host-options.js';

test('OOM, real-time and block I/O limits into the spec, and back in inspect', () => {
  const hc = {
    OomScoreAdj: -200, OomKillDisable: true, CpuRealtimePeriod: 1000000, CpuRealtimeRuntime: 950000, BlkioWeight: 300,
    BlkioWeightDevice: [{ Path: '/dev/vda', Weight: 200 }], BlkioDeviceReadBps: [{ Path: '/dev/vda', Rate: 1048576 }], BlkioDeviceWriteIOps: [{ Path: '/dev/vda', Rate: 40 }],
  };
  const spec = createInputFromWire({ Image: 'busybox', HostConfig: hc }, null).spec;
  assert.deepEqual(spec.resources.blkio, { weight: 300, weightDevices: [{ path: '/dev/vda', weight: 200 }], readBps: [{ path: '/dev/vda', rate: 1048576 }], writeBps: [], readIops: [], writeIops: [{ path: '/dev/vda', rate: 40 }] });
  assert.equal(spec.resources.oomScoreAdj, -200);
  assert.equal(spec.resources.oomKillDisable, true);
  const out = wireHostConfig({ spec } as unknown as ContainerRecord);
  for (const [k, v] of Object.entries(hc)) assert.deepEqual(out[k], v, k);
  assert.equal(out['BlkioDeviceWriteBps'], null, 'an empty list shows as null when the client sent none');
  // An update of the memory keeps them.
  const upd = updateFromWire(spec, { Memory: 64 << 20 });
  assert.equal(upd.resources?.oomScoreAdj, -200);
  assert.deepEqual(upd.resources?.blkio?.readBps, [{ path: '/dev/vda', rate: 1048576 }]);
});

test('zero values ask for nothing', () => {
  assert.deepEqual(moreLimitsFromHostConfig({ OomScoreAdj: 0, OomKillDisable: false, BlkioWeight: 0, BlkioWeightDevice: [], BlkioDeviceReadBps: [], CpuRealtimePeriod: 0 }), {});
});

test("dockerd's range checks, in its words", () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ OomScoreAdj: 1001 }, /^Invalid value 1001, range for oom score adj is \[-1000, 1000\]$/],
    [{ OomScoreAdj: -1001 }, /^Invalid value -1001, range/],
    [{ BlkioWeight: 5 }, /^Range of blkio weight is from 10 to 1000$/],
    [{ BlkioWeight: 1001 }, /^Range of blkio weight is from 10 to 1000$/],
    [{ CpuRealtimePeriod: 1000, CpuRealtimeRuntime: 2000 }, /^cpu real-time runtime cannot be higher than cpu real-time period$/],
    [{ BlkioWeightDevice: [{ Path: '/dev/vda', Weight: 5 }] }, /invalid weight for device/],
    [{ BlkioDeviceReadBps: [{ Path: 'vda', Rate: 1 }] }, /bad format for device path/],
    [{ BlkioDeviceWriteBps: [{ Path: '/dev/vda', Rate: -1 }] }, /invalid rate for device/],
  ];
  for (const [hc, re] of cases) assert.throws(() => moreLimitsFromHostConfig(hc), (e: Error) => e.name === 'InvalidArgument' && re.test(e.message), String(re));
});

test('docker update: zeros (every flag not given) leave limits as they are; the given ones change and are checked', () => {
  const spec = createInputFromWire({ Image: 'busybox', HostConfig: { Memory: 64 << 20, CpuRealtimePeriod: 1000000, CpuRealtimeRuntime: 10000, BlkioWeight: 300 } }, null).spec;
  const cliZeros = { Memory: 0, MemorySwap: 0, CpuShares: 0, CpuPeriod: 0, CpuQuota: 0, CpuRealtimePeriod: 0, CpuRealtimeRuntime: 0, CpusetCpus: '', BlkioWeight: 0, NanoCpus: 0 };
  assert.equal(updateFromWire(spec, cliZeros).resources, undefined, 'nothing asked');
  const u = updateFromWire(spec, { ...cliZeros, CpuRealtimeRuntime: 20000 }).resources;
  assert.equal(u?.cpuRealtimeRuntime, 20000);
  assert.equal(u?.cpuRealtimePeriod, 1000000);
  assert.equal(u?.memory, 64 << 20);
  assert.equal(u?.blkio?.weight, 300);
  assert.throws(() => updateFromWire(spec, { CpuRealtimeRuntime: 2000000 }), /cpu real-time runtime cannot be higher than cpu real-time period/);
  assert.throws(() => updateFromWire(spec, { BlkioWeight: 2 }), /Range of blkio weight is from 10 to 1000/);
});

test("dockerd's create warning for --oom-kill-disable without a memory limit", () => {
  assert.match(createWarnings({ ulimits: [], oomKillDisable: true })[0] ?? '', /^OOM killer is disabled for the container, but no memory limit is set/);
  assert.deepEqual(createWarnings({ ulimits: [], oomKillDisable: true, memory: 64 << 20 }), []);
  assert.deepEqual(createWarnings({ ulimits: [] }), []);
});
