import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RegistryHosts, isInsecure } from './hosts.js';

test('loopback and localhost are plain HTTP; others only when listed (host, host:port or CIDR)', () => {
  assert.equal(isInsecure('127.0.0.1:5000'), true);
  assert.equal(isInsecure('127.3.4.5'), true);
  assert.equal(isInsecure('localhost:5000'), true);
  assert.equal(isInsecure('registry.example.com'), false);
  assert.equal(isInsecure('10.1.2.3:5000', ['10.0.0.0/8']), true);
  assert.equal(isInsecure('11.1.2.3:5000', ['10.0.0.0/8']), false);
  assert.equal(isInsecure('reg.local:5000', ['reg.local:5000']), true);
});

test('docker.io reads try mirrors in order, then registry-1.docker.io; pushes go to the origin', () => {
  const h = new RegistryHosts({ mirrors: { 'docker.io': ['https://m1.example.com/', '127.0.0.1:5001'] } });
  assert.deepEqual(
    h.pullEndpoints('docker.io').map((e) => [e.origin, e.mirror]),
    [['https://m1.example.com', true], ['http://127.0.0.1:5001', true], ['https://registry-1.docker.io', false]],
  );
  assert.deepEqual(h.pushEndpoint('docker.io'), { origin: 'https://registry-1.docker.io', authHost: 'docker.io', mirror: false });
  assert.equal(h.pushEndpoint('quay.io').origin, 'https://quay.io');
  assert.equal(h.pullEndpoints('127.0.0.1:5000').length, 1);
});
