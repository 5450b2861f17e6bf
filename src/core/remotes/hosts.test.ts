import { test } from 'node:test';
import assert from 'node:assert/strict';
import { RegistryHosts, isInsecure } from './hosts.js';

test('loopback and localhost are insecure; others only when listed (host, host:port or CIDR)', () => {
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
    h.pullEndpoints('docker.io').map((e) => [e.origin, e.mirror, e.insecure]),
    [['https://m1.example.com', true, false], ['https://127.0.0.1:5001', true, true], ['https://registry-1.docker.io', false, false]],
  );
  assert.deepEqual(h.pushEndpoint('docker.io'), { origin: 'https://registry-1.docker.io', authHost: 'docker.io', mirror: false, insecure: false });
  assert.equal(h.pushEndpoint('quay.io').origin, 'https://quay.io');
  // An insecure registry is still tried over HTTPS first (the client falls back to HTTP).
  assert.deepEqual(h.pushEndpoint('127.0.0.1:5000'), { origin: 'https://127.0.0.1:5000', authHost: '127.0.0.1:5000', mirror: false, insecure: true });
  assert.equal(new RegistryHosts({ insecure: ['reg.local:5000'] }).pushEndpoint('reg.local:5000').insecure, true);
  assert.equal(new RegistryHosts({ mirrors: { 'docker.io': ['http://m2.example.com'] } }).pullEndpoints('docker.io')[0]?.origin, 'http://m2.example.com');
  assert.equal(h.pullEndpoints('127.0.0.1:5000').length, 1);
});
