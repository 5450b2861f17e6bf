import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerRecord } from '../../services/index.js';
import { wireHostConfig } from './host-config-convert.js';

function rec(raw: Record<string, unknown>, privileged = false): ContainerRecord {
  return {
    hostConfig: {
      autoRemove: false, networkMode: 'default', binds: [], privileged, readonlyRootfs: false, capAdd: [], capDrop: [],
      restartPolicy: { name: 'no', maximumRetryCount: 0 }, portBindings: {}, logType: 'json-file', raw,
    },
  } as unknown as ContainerRecord;
}

test('zero values where nothing was sent; what berth decided and dockerd create-time defaults over them', () => {
  const hc = wireHostConfig(rec({}));
  assert.equal(hc['Links'], null);
  assert.equal(hc['DeviceCgroupRules'], null);
  assert.equal(hc['Dns'], null);
  assert.equal(hc['Runtime'], 'runc');
  assert.equal(hc['ShmSize'], 64 * 1024 * 1024);
  assert.deepEqual(hc['LogConfig'], { Type: 'json-file', Config: {} });
  assert.equal(Object.keys(hc)[0], 'Binds');
  assert.equal(Object.keys(hc).at(-1), 'ReadonlyPaths');
  for (const omitted of ['Annotations', 'StorageOpt', 'Tmpfs', 'Sysctls', 'KernelMemory', 'Mounts', 'Init']) assert.ok(!(omitted in hc), omitted);
});

test('what the client sent is echoed in place; omitempty keys appear when set; privileged masks nothing', () => {
  const hc = wireHostConfig(rec({ Dns: ['1.1.1.1'], Sysctls: { 'net.ipv4.ip_forward': '1' }, ShmSize: 1024, Init: true }, true));
  assert.deepEqual(hc['Dns'], ['1.1.1.1']);
  assert.equal(hc['ShmSize'], 1024);
  assert.deepEqual(hc['Sysctls'], { 'net.ipv4.ip_forward': '1' });
  const keys = Object.keys(hc);
  assert.ok(keys.indexOf('Sysctls') < keys.indexOf('Runtime') && keys.indexOf('Sysctls') > keys.indexOf('ShmSize'), 'in Docker order');
  assert.equal(hc['Init'], true);
  assert.equal(hc['MaskedPaths'], null);
});
