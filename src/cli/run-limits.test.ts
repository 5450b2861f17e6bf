import { test } from 'node:test';
import assert from 'node:assert/strict';
import { buildCreatePlan } from './run-options.js';

const hc = (flags: Record<string, unknown>): Record<string, unknown> => buildCreatePlan('busybox', [], flags).body.HostConfig as Record<string, unknown>;

test('namespace and limit flags become the HostConfig keys the docker CLI sends', () => {
  const h = hc({
    pid: 'container:a', ipc: 'shareable', uts: 'host', cgroupns: 'private', oomScoreAdj: '-5', oomKillDisable: true, cpuRtPeriod: '1000000', cpuRtRuntime: '950000', blkioWeight: '300',
    blkioWeightDevice: ['/dev/vda:200'], deviceReadBps: ['/dev/vda:1mb'], deviceWriteBps: ['/dev/vda:1024'], deviceReadIops: ['/dev/vda:30'], deviceWriteIops: ['/dev/vda:40'], storageOpt: ['size=1G'],
  });
  assert.deepEqual(
    { PidMode: h['PidMode'], IpcMode: h['IpcMode'], UTSMode: h['UTSMode'], CgroupnsMode: h['CgroupnsMode'], OomScoreAdj: h['OomScoreAdj'], OomKillDisable: h['OomKillDisable'] },
    { PidMode: 'container:a', IpcMode: 'shareable', UTSMode: 'host', CgroupnsMode: 'private', OomScoreAdj: -5, OomKillDisable: true },
  );
  assert.equal(h['CpuRealtimePeriod'], 1000000);
  assert.equal(h['CpuRealtimeRuntime'], 950000);
  assert.equal(h['BlkioWeight'], 300);
  assert.deepEqual(h['BlkioWeightDevice'], [{ Path: '/dev/vda', Weight: 200 }]);
  assert.deepEqual(h['BlkioDeviceReadBps'], [{ Path: '/dev/vda', Rate: 1048576 }]);
  assert.deepEqual(h['BlkioDeviceWriteBps'], [{ Path: '/dev/vda', Rate: 1024 }]);
  assert.deepEqual(h['BlkioDeviceReadIOps'], [{ Path: '/dev/vda', Rate: 30 }]);
  assert.deepEqual(h['BlkioDeviceWriteIOps'], [{ Path: '/dev/vda', Rate: 40 }]);
  assert.deepEqual(h['StorageOpt'], { size: '1G' });
  const none = hc({});
  for (const k of ['PidMode', 'IpcMode', 'UTSMode', 'CgroupnsMode', 'OomScoreAdj', 'BlkioWeight', 'StorageOpt']) assert.ok(!(k in none), k);
});

test('what the docker CLI refuses before sending, in its words', () => {
  const cases: [Record<string, unknown>, RegExp][] = [
    [{ pid: 'container:' }, /^--pid: invalid PID mode$/],
    [{ pid: 'private' }, /^--pid: invalid PID mode$/],
    [{ uts: 'container:x' }, /^--uts: invalid UTS mode$/],
    [{ cgroupns: 'shared' }, /^--cgroupns: invalid CGROUP mode$/],
    [{ oomScoreAdj: 'x' }, /for "--oom-score-adj" flag: strconv.ParseInt/],
    [{ blkioWeightDevice: ['vda:200'] }, /bad format for device path: vda:200/],
    [{ blkioWeightDevice: ['/dev/vda'] }, /bad format: \/dev\/vda/],
    [{ blkioWeightDevice: ['/dev/vda:5'] }, /invalid weight for device: \/dev\/vda:5/],
    [{ deviceReadBps: ['/dev/vda:fast'] }, /invalid rate for device: \/dev\/vda:fast\. The correct format is <device-path>:<number>\[<unit>\]/],
    [{ deviceWriteIops: ['/dev/vda:1k'] }, /invalid rate for device: \/dev\/vda:1k\. The correct format is <device-path>:<number>\. Number must be a positive integer/],
    [{ storageOpt: ['size'] }, /invalid storage option: size/],
  ];
  for (const [flags, re] of cases) assert.throws(() => hc(flags), (e: Error) => e.name === 'InvalidArgument' && re.test(e.message), String(re));
});
