import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { SystemFacts } from './deps.js';
import { infoWarnings } from './system.js';

const facts = (v: '1' | '2', f?: SystemFacts['cgroupFeatures']): SystemFacts => ({ cgroupVersion: v, ...(f ? { cgroupFeatures: f } : {}) }) as SystemFacts;

test("docker info's warnings name the limits the host's cgroups cannot enforce, in dockerd's words", () => {
  const all = { oomKillDisable: true, blkioWeight: true, blkioWeightDevice: true, blkioThrottle: true, cpusetCpus: '0-1' };
  assert.equal(infoWarnings(facts('1', all)), null);
  assert.equal(infoWarnings(facts('1')), null);
  assert.deepEqual(infoWarnings(facts('1', { ...all, blkioWeight: false, blkioWeightDevice: false })), ['WARNING: No blkio weight support', 'WARNING: No blkio weight_device support']);
  const { cpusetCpus: _c, ...noCpuset } = all;
  assert.deepEqual(infoWarnings(facts('1', noCpuset)), ['WARNING: No cpuset support']);
  assert.deepEqual(infoWarnings(facts('2', { ...all, oomKillDisable: false, blkioWeight: false })), ['WARNING: No io.weight support']);
  assert.equal(infoWarnings(facts('1', { ...all, blkioThrottle: false }))?.length, 4);
});

test('a runtime that cannot run containers here is a warning with its reason', () => {
  const s = { cgroupVersion: '1', runtimes: [{ name: 'runc', path: '/usr/sbin/runc', args: [] }, { name: 'crun', path: '/usr/bin/crun', args: [], unavailable: 'cgroups in hybrid mode not supported' }] } as unknown as SystemFacts;
  assert.deepEqual(infoWarnings(s), ['WARNING: runtime crun cannot run containers on this host: cgroups in hybrid mode not supported']);
});
