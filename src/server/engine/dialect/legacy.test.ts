import { test } from 'node:test';
import assert from 'node:assert/strict';
import { recordFromLegacy } from './legacy.js';
import { wireHostConfig } from './host-config.js';

/** A record as berth wrote it before the typed spec (hostConfig with the request's HostConfig as raw). */
const LEGACY = {
  id: 'a'.repeat(64),
  name: 'old',
  config: { volumes: {}, exposedPorts: {} },
  state: { status: 'running', health: { Status: 'healthy', FailingStreak: 0, Log: [{ Start: 's', End: 'e', ExitCode: 0, Output: 'ok' }] } },
  hostConfig: {
    autoRemove: false,
    networkMode: 'container:db',
    binds: ['v:/d'],
    privileged: false,
    readonlyRootfs: true,
    capAdd: ['NET_ADMIN'],
    capDrop: [],
    restartPolicy: { name: 'always', maximumRetryCount: 0 },
    portBindings: {},
    logType: 'json-file',
    logOpts: { 'max-size': '10m' },
    links: [{ targetId: 'b'.repeat(64), alias: 'db' }],
    raw: { Binds: ['v:/d'], NetworkMode: 'container:db', ReadonlyRootfs: true, CapAdd: ['NET_ADMIN'], Memory: 64 << 20, Dns: [], SecurityOpt: ['seccomp:unconfined'], RestartPolicy: { Name: 'no' } },
  },
};

test('an old record becomes a spec: what berth decided or changed since (restart policy, links, log options) wins over the old request', () => {
  const rec = recordFromLegacy(structuredClone(LEGACY) as unknown as Record<string, unknown>);
  assert.ok(!('hostConfig' in rec));
  assert.deepEqual(rec.spec.namespaces.network, { mode: 'container', target: 'db' });
  assert.deepEqual(rec.spec.lifecycle.restartPolicy, { name: 'always', maximumRetryCount: 0 }, 'the policy after docker update');
  assert.deepEqual(rec.spec.networking.links, [{ targetId: 'b'.repeat(64), alias: 'db' }]);
  assert.deepEqual(rec.spec.logging, { driver: 'json-file', options: { 'max-size': '10m' } });
  assert.equal(rec.spec.resources.memory, 64 << 20);
  assert.deepEqual(rec.spec.security.seccomp, { mode: 'unconfined' });
  assert.equal(rec.spec.rootfs.readOnly, true);
  assert.deepEqual(rec.state.health, { status: 'healthy', failingStreak: 0, log: [{ start: 's', end: 'e', exitCode: 0, output: 'ok' }] });
  const hc = wireHostConfig(rec);
  assert.deepEqual(hc['Binds'], ['v:/d']);
  assert.equal(hc['NetworkMode'], 'container:db');
  assert.deepEqual(hc['Dns'], [], 'the client\'s spelling is kept');
  assert.deepEqual(hc['SecurityOpt'], ['seccomp:unconfined']);
  assert.deepEqual(hc['RestartPolicy'], { Name: 'always', MaximumRetryCount: 0 });
});

test('an old request today\'s rules refuse still converts: the container stays visible', () => {
  const bad = structuredClone(LEGACY) as unknown as { hostConfig: { raw: Record<string, unknown> } };
  bad.hostConfig.raw['Memory'] = 1024;
  const rec = recordFromLegacy(bad as unknown as Record<string, unknown>);
  assert.equal(rec.spec.resources.memory, undefined);
  assert.deepEqual(rec.spec.networking.links, [{ targetId: 'b'.repeat(64), alias: 'db' }]);
});
