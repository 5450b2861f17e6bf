import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createInputFromWire } from './create.js';
import { deviceRequestsFromHostConfig, deviceRequestsToWire } from './device-requests.js';

test('the docker CLI requests: --gpus all and CDI names become berth device requests', () => {
  const hc = {
    DeviceRequests: [
      { Driver: '', Count: -1, DeviceIDs: null, Capabilities: [['gpu']], Options: {} },
      { Driver: 'cdi', Count: 0, DeviceIDs: ['example.com/dev=null'], Capabilities: null, Options: null },
    ],
  };
  const reqs = deviceRequestsFromHostConfig(hc);
  assert.deepEqual(reqs, [
    { driver: '', count: -1, deviceIds: [], capabilities: [['gpu']], options: {} },
    { driver: 'cdi', count: 0, deviceIds: ['example.com/dev=null'], capabilities: [], options: {} },
  ]);
  assert.deepEqual(deviceRequestsToWire(reqs)?.[1], { Driver: 'cdi', Count: 0, DeviceIDs: ['example.com/dev=null'], Capabilities: null, Options: null });
  const spec = createInputFromWire({ Image: 'busybox', HostConfig: { ...hc, Runtime: 'crun' } }, null).spec;
  assert.equal(spec.runtime, 'crun');
  assert.equal(spec.security.deviceRequests?.length, 2);
  assert.equal(createInputFromWire({ Image: 'busybox', HostConfig: { Runtime: '' } }, null).spec.runtime, undefined, 'the daemon default is chosen by the service');
});

test('bad requests are refused naming the field', () => {
  assert.throws(() => deviceRequestsFromHostConfig({ DeviceRequests: [{ Driver: 'cdi', DeviceIDs: [] }] }), /DeviceRequests\[0\]: a CDI request names its devices in DeviceIDs/);
  assert.throws(() => deviceRequestsFromHostConfig({ DeviceRequests: [{ Count: -2 }] }), /Count must be -1/);
  assert.throws(() => deviceRequestsFromHostConfig({ DeviceRequests: [{ Capabilities: ['gpu'] }] }), /Capabilities must be a list of lists/);
  assert.throws(() => deviceRequestsFromHostConfig({ DeviceRequests: [{ Capabilities: [['gpu']], Options: { a: 'b' } }] }), /Options \{"a":"b"\} is not supported by berth/);
  assert.deepEqual(deviceRequestsFromHostConfig({ DeviceRequests: null }), []);
});
