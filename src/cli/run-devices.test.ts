import { test } from 'node:test';
import assert from 'node:assert/strict';
import { applyRuntimeDeviceFlags, parseGpus } from './run-devices.js';

test('--gpus as the docker CLI reads it', () => {
  assert.deepEqual(parseGpus('all'), { Driver: '', Count: -1, DeviceIDs: null, Capabilities: [['gpu']], Options: {} });
  assert.deepEqual(parseGpus('2'), { Driver: '', Count: 2, DeviceIDs: null, Capabilities: [['gpu']], Options: {} });
  assert.deepEqual(parseGpus('"device=0,1",driver=nvidia'), { Driver: 'nvidia', Count: 0, DeviceIDs: ['0', '1'], Capabilities: [['gpu']], Options: {} });
  assert.deepEqual(parseGpus('capabilities=compute'), { Driver: '', Count: 1, DeviceIDs: null, Capabilities: [['compute', 'gpu']], Options: {} });
  assert.throws(() => parseGpus('colour=red'), /unexpected key 'colour' in 'colour=red'/);
  assert.throws(() => parseGpus('many'), /invalid argument "many" for "--gpus" flag/);
});

test('CDI names among --device go into one cdi request; host paths stay devices; --runtime is sent', () => {
  const hc: Record<string, unknown> = {};
  const rest = applyRuntimeDeviceFlags({ runtime: 'crun', device: ['/dev/fuse', 'example.com/dev=null', 'example.com/dev=zero'], gpus: ['all'] }, hc);
  assert.deepEqual(rest, ['/dev/fuse']);
  assert.equal(hc['Runtime'], 'crun');
  assert.deepEqual(hc['DeviceRequests'], [
    { Driver: '', Count: -1, DeviceIDs: null, Capabilities: [['gpu']], Options: {} },
    { Driver: 'cdi', Count: 0, DeviceIDs: ['example.com/dev=null', 'example.com/dev=zero'], Capabilities: null, Options: null },
  ]);
  const none: Record<string, unknown> = {};
  assert.deepEqual(applyRuntimeDeviceFlags({ device: ['/dev/null:/dev/n:r'] }, none), ['/dev/null:/dev/n:r']);
  assert.deepEqual(none, {});
});
