import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { ContainerRecord } from '../../core/metadata/index.js';
import type { CgroupFeatures } from '../../core/runtime/index.js';
import { defaultContainerSpec } from './create-record.js';
import { checkHostLimits, planNamespaces, runtimeNamespaces } from './namespaces.js';

function rec(id: string, status: string, pid: number, ns: Partial<ContainerRecord['spec']['namespaces']> = {}): ContainerRecord {
  const spec = defaultContainerSpec();
  spec.namespaces = { ...spec.namespaces, ...ns };
  return { id, name: id, spec, state: { status, pid } } as unknown as ContainerRecord;
}

const V1: CgroupFeatures = { v2: false, oomKillDisable: true, cpuRealtime: true, blkioWeight: false, blkioWeightDevice: false, blkioThrottle: true, cgroupNamespaces: true, memorySwappiness: true, cpusetCpus: '0-1', cpusetMems: '0', oomScoreAdjFloor: 0 };
const V2: CgroupFeatures = { v2: true, oomKillDisable: false, cpuRealtime: false, blkioWeight: true, blkioWeightDevice: true, blkioThrottle: true, cgroupNamespaces: true, memorySwappiness: false, cpusetCpus: '0-3', cpusetMems: '0', oomScoreAdjFloor: -1000 };
const shm = (id: string): string => `/data/containers/${id}/shm`;

test('at create: targets by id, the daemon default for cgroupns (host on v1, private on v2, else as configured)', async () => {
  const a = rec('a'.repeat(64), 'running', 10);
  const b = rec('b', 'created', 0, { pid: { mode: 'container', target: 'alpha' }, ipc: { mode: 'container', target: 'alpha' } });
  await planNamespaces(b, { cgroupns: true }, { features: V1 }, (x) => (x === 'alpha' ? a : (() => { throw Object.assign(new Error('x'), { name: 'NotFound' }); })()));
  assert.equal(b.spec.namespaces.pid.target, a.id);
  assert.equal(b.spec.namespaces.ipc.target, a.id);
  assert.equal(b.spec.namespaces.cgroup.mode, 'host');
  const c = rec('c', 'created', 0);
  await planNamespaces(c, { cgroupns: true }, { features: V2 }, () => a);
  assert.equal(c.spec.namespaces.cgroup.mode, 'private');
  const e = rec('e', 'created', 0);
  await planNamespaces(e, { cgroupns: true }, { cgroupns: 'private', features: V1 }, () => a);
  assert.equal(e.spec.namespaces.cgroup.mode, 'private');
  const f = rec('f', 'created', 0, { cgroup: { mode: 'host' } });
  await planNamespaces(f, { cgroupns: false }, { cgroupns: 'private', features: V1 }, () => a);
  assert.equal(f.spec.namespaces.cgroup.mode, 'host', 'an explicit mode wins');
  const g = rec('g', 'created', 0);
  await planNamespaces(g, { ipc: true }, { ipc: 'shareable', features: V1 }, () => a);
  assert.deepEqual(g.spec.namespaces.ipc, { mode: 'private', shareable: true }, 'default-ipc-mode shareable');
  const h = rec('h', 'created', 0);
  await planNamespaces(h, { ipc: false }, { ipc: 'shareable', features: V1 }, () => a);
  assert.deepEqual(h.spec.namespaces.ipc, { mode: 'private' }, 'an explicit private wins');
});

test('limits the host cannot enforce are refused in dockerd words', () => {
  const r = { ulimits: [] };
  assert.throws(() => checkHostLimits({ ...r, oomKillDisable: true }, V2), /Your kernel does not support disabling the OOM killer/);
  assert.throws(() => checkHostLimits({ ...r, cpuRealtimeRuntime: 1000 }, V2), /kernel does not support CPU real-time scheduler/);
  const blk = { weightDevices: [], readBps: [], writeBps: [], readIops: [], writeIops: [] };
  assert.throws(() => checkHostLimits({ ...r, blkio: { ...blk, weight: 300 } }, V1), /Block I\/O weight or the cgroup is not mounted/);
  checkHostLimits({ ...r, oomKillDisable: true, cpuRealtimeRuntime: 1000, blkio: { ...blk, readBps: [{ path: '/dev/vda', rate: 1 }] } }, V1);
  checkHostLimits({ ...r, blkio: { ...blk, weight: 300 } }, V2);
  assert.throws(() => checkHostLimits({ ...r, oomScoreAdj: -5 }, V1), /--oom-score-adj -5: berthd may not lower an OOM score below its own \(0\) without CAP_SYS_RESOURCE/);
  checkHostLimits({ ...r, oomScoreAdj: 5 }, V1);
  checkHostLimits({ ...r, oomScoreAdj: -500 }, V2);
});

test('at start: joined namespaces by the target\'s pid; /dev/shm from the shareable donor; a stopped or private donor refused', () => {
  const donor = rec('d1', 'running', 77, { ipc: { mode: 'private', shareable: true } });
  const priv = rec('p1', 'running', 78);
  const stopped = rec('s1', 'exited', 0, { ipc: { mode: 'private', shareable: true } });
  const all = new Map([donor, priv, stopped].map((r) => [r.id, r]));
  const lookup = (id: string): ContainerRecord | undefined => all.get(id);
  const joiner = rec('j', 'created', 0, { pid: { mode: 'container', target: 'd1' }, ipc: { mode: 'container', target: 'd1' } });
  assert.deepEqual(runtimeNamespaces(joiner, lookup, shm), { namespaces: { pid: { mode: 'path', path: '/proc/77/ns/pid' }, ipc: { mode: 'path', path: '/proc/77/ns/ipc' } }, shmSource: shm('d1') });
  assert.deepEqual(runtimeNamespaces(donor, lookup, shm), { namespaces: {}, shmSource: shm('d1') });
  const second = rec('j2', 'running', 80, { ipc: { mode: 'container', target: 'j' } });
  all.set('j', { ...joiner, state: { ...joiner.state, status: 'running', pid: 79 } } as ContainerRecord);
  assert.equal(runtimeNamespaces(second, lookup, shm).shmSource, shm('d1'), 'a chain leads to the shareable donor');
  assert.throws(() => runtimeNamespaces(rec('x', 'created', 0, { ipc: { mode: 'container', target: 'p1' } }), lookup, shm), /container p1: non-shareable IPC \(hint: use --ipc shareable for the donor container\)/);
  assert.throws(() => runtimeNamespaces(rec('x', 'created', 0, { pid: { mode: 'container', target: 's1' } }), lookup, shm), /container s1 is not running/);
  assert.throws(() => runtimeNamespaces(rec('x', 'created', 0, { pid: { mode: 'container', target: 'gone' } }), lookup, shm), /No such container: gone/);
  const host = runtimeNamespaces(rec('h', 'created', 0, { pid: { mode: 'host' }, ipc: { mode: 'host' }, uts: { mode: 'host' }, cgroup: { mode: 'private' } }), lookup, shm);
  assert.deepEqual(host, { namespaces: { pid: { mode: 'host' }, ipc: { mode: 'host' }, uts: 'host', cgroup: 'private' }, shmSource: '/dev/shm' });
  assert.deepEqual(runtimeNamespaces(rec('n', 'created', 0, { ipc: { mode: 'private', noShm: true } }), lookup, shm), { namespaces: {}, noShm: true });
});

test('a remapped container joining a remapped one joins its user namespace too, as dockerd does', () => {
  const map = { uids: [{ containerId: 0, hostId: 100000, size: 65536 }], gids: [{ containerId: 0, hostId: 100000, size: 65536 }] };
  const donor = { ...rec('d1', 'running', 77), idMap: map } as ContainerRecord;
  const joiner = { ...rec('j', 'created', 0, { pid: { mode: 'container', target: 'd1' } }), idMap: map } as ContainerRecord;
  assert.equal(runtimeNamespaces(joiner, () => donor, shm).userNamespacePath, '/proc/77/ns/user');
  const plain = rec('j2', 'created', 0, { pid: { mode: 'container', target: 'd1' } });
  assert.equal(runtimeNamespaces(plain, () => donor, shm).userNamespacePath, undefined, 'not remapped: no user namespace at all');
});
