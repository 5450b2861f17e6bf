import { test } from 'node:test';
import assert from 'node:assert/strict';
import { defaultContainerSpec } from './create-record.js';
import { planDevices, runtimeOf, withCdiEnv } from './devices.js';
import type { DeviceDeps } from './devices.js';
import { emptyEdits } from '../../core/cdi/index.js';

const runtimes: DeviceDeps['runtimes'] = {
  defaultName: 'runc',
  get: (n) =>
    ({ runc: { name: 'runc', path: '/usr/sbin/runc', args: [] }, crun: { name: 'crun', path: '/usr/bin/crun', args: [], unavailable: 'cgroups in hybrid mode not supported' }, mine: { name: 'mine', path: '/opt/mine', args: ['--x'] } })[n],
};
const known = ['example.com/dev=null', 'nvidia.com/gpu=0', 'nvidia.com/gpu=1', 'nvidia.com/gpu=all'];
const cdi: DeviceDeps['cdi'] = {
  list: () => Promise.resolve(known),
  resolve: (names) => {
    const missing = names.filter((n) => !known.includes(n));
    return missing.length ? Promise.reject(new Error(`unresolvable CDI devices ${missing.join(', ')}`)) : Promise.resolve(emptyEdits());
  },
};

test('the runtime: the default filled in, an unknown or unavailable one refused with its reason', async () => {
  const s = defaultContainerSpec();
  await planDevices(s, { runtimes });
  assert.equal(s.runtime, 'runc');
  const m = { ...defaultContainerSpec(), runtime: 'mine' };
  await planDevices(m, { runtimes });
  assert.deepEqual(runtimeOf(m, { runtimes }), { name: 'mine', path: '/opt/mine', args: ['--x'] });
  await assert.rejects(planDevices({ ...defaultContainerSpec(), runtime: 'ghost' }, { runtimes }), /^InvalidArgument: unknown or invalid runtime name: ghost$/);
  await assert.rejects(planDevices({ ...defaultContainerSpec(), runtime: 'crun' }, { runtimes }), /runtime crun cannot run containers on this host: cgroups in hybrid mode not supported/);
  // A record older than the choice runs with runc.
  assert.deepEqual(runtimeOf(defaultContainerSpec(), { runtimes }), { name: 'runc', path: '/usr/sbin/runc', args: [] });
  assert.equal(runtimeOf(defaultContainerSpec(), {}), undefined, 'no catalog: the daemon runc');
});

test('device requests come to CDI names; --gpus picks nvidia.com/gpu devices or gets dockerd message', async () => {
  const req = (r: Partial<{ driver: string; count: number; deviceIds: string[]; capabilities: string[][] }>) => ({ driver: '', count: 0, deviceIds: [], capabilities: [['gpu']], options: {}, ...r });
  const plan = async (requests: ReturnType<typeof req>[]): Promise<string[] | undefined> => {
    const s = defaultContainerSpec();
    s.security.deviceRequests = requests;
    await planDevices(s, { runtimes, cdi });
    return s.security.cdiDevices;
  };
  assert.deepEqual(await plan([req({ driver: 'cdi', deviceIds: ['example.com/dev=null'], capabilities: [] })]), ['example.com/dev=null']);
  assert.deepEqual(await plan([req({ count: -1 })]), ['nvidia.com/gpu=all']);
  assert.deepEqual(await plan([req({ count: 2 })]), ['nvidia.com/gpu=0', 'nvidia.com/gpu=1']);
  assert.deepEqual(await plan([req({ deviceIds: ['1'] })]), ['nvidia.com/gpu=1']);
  await assert.rejects(plan([req({ count: 3 })]), /could not select device driver "" with capabilities: \[\[gpu\]\]/);
  await assert.rejects(plan([req({ deviceIds: ['7'] })]), /could not select device driver "" with capabilities: \[\[gpu\]\]/);
  await assert.rejects(plan([req({ driver: 'cdi', deviceIds: ['example.com/dev=nope'], capabilities: [] })]), /unresolvable CDI devices example\.com\/dev=nope/);
  const none = defaultContainerSpec();
  none.security.deviceRequests = [req({ count: -1, capabilities: [['gpu', 'compute']] })];
  await assert.rejects(planDevices(none, { runtimes }), /could not select device driver "" with capabilities: \[\[gpu compute\]\]/);
});

test('CDI variables replace the container\'s of the same name', () => {
  assert.deepEqual(withCdiEnv(['A=1', 'B=2'], ['B=3', 'C=4']), ['A=1', 'B=3', 'C=4']);
});
