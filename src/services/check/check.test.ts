import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Digest } from '../../util/index.js';
import { checkStore, collectOrphans } from './check.js';
import type { CheckPorts } from './ports.js';

const d = (c: string): Digest => `sha256:${c.repeat(64)}` as Digest;
const cid = (c: string): string => c.repeat(64);

function fakeStore() {
  const removed: string[] = [];
  const blobs = new Map<string, 'ok' | 'corrupt'>([[d('a'), 'ok'], [d('b'), 'corrupt'], [d('e'), 'ok'], [d('f'), 'ok']]);
  const layers = new Set([d('1'), d('9'), d('8')]);
  const containerDirs = new Set([cid('c'), cid('d')]);
  const volumeDirs = new Set(['kept', 'stray']);
  const mounts = [{ path: `/data/containers/${cid('d')}/rootfs`, containerId: cid('d') }, { path: `/data/containers/${cid('c')}/rootfs`, containerId: cid('c') }];
  const netns = new Set([cid('c'), cid('d')]);
  const ports: CheckPorts = {
    // Image "web" names a, b (corrupt) and a missing c; its second layer is not unpacked.
    images: () => [{ id: d('7'), name: 'web:latest', blobs: [d('a'), d('b'), d('c')], chainIds: [d('1'), d('2')] }],
    blobs: {
      async *list() {
        yield* [...blobs.keys()] as Digest[];
      },
      verify: async (x) => blobs.get(x) ?? 'missing',
      remove: async (x) => {
        removed.push(`blob ${x}`);
        blobs.delete(x);
      },
    },
    layers: {
      list: async () => [...layers],
      remove: async (c) => {
        removed.push(`layer ${c}`);
        layers.delete(c as Digest);
      },
    },
    leased: (kind) => new Set(kind === 'blob' ? [d('f')] : [d('8')]),
    containers: () => [{ id: cid('c'), name: 'app', status: 'running', layers: [d('1')] }, { id: cid('e'), name: 'gone', status: 'exited', layers: [] }],
    containerDirs: async () => [...containerDirs],
    removeContainerDir: async (id) => {
      removed.push(`dir ${id}`);
      containerDirs.delete(id);
    },
    runtimeStatus: async () => 'stopped',
    volumes: () => ['kept', 'lost'],
    volumeDirs: async () => [...volumeDirs],
    removeVolumeDir: async (n) => {
      removed.push(`volume ${n}`);
      volumeDirs.delete(n);
    },
    mounts: async () => mounts.filter((m) => !removed.includes(`mount ${m.path}`)),
    unmount: async (p) => {
      removed.push(`mount ${p}`);
    },
    netns: async () => [...netns],
    removeNetns: async (id) => {
      removed.push(`netns ${id}`);
      netns.delete(id);
    },
  };
  return { ports, removed };
}

test('system check names every fault; leased content and what records name are not orphans', async () => {
  const { ports, removed } = fakeStore();
  const r = await checkStore(ports, { repair: false });
  assert.deepEqual(r.faults.map((f) => `${f.kind} ${f.object}`).sort(), [
    `container-dir-missing gone (${'e'.repeat(12)})`,
    `container-not-running app (${'c'.repeat(12)})`,
    `image-blob-corrupt web:latest (${'7'.repeat(12)})`,
    `image-blob-missing web:latest (${'7'.repeat(12)})`,
    `image-layer-missing web:latest (${'7'.repeat(12)})`,
    `orphan-blob ${d('e')}`,
    `orphan-container-dir ${cid('d')}`,
    `orphan-layer ${d('9')}`,
    `orphan-mount /data/containers/${cid('d')}/rootfs`,
    `orphan-netns ${cid('d')}`,
    'orphan-volume-dir stray',
    'volume-dir-missing lost',
  ]);
  assert.ok(r.faults.every((f) => !f.repaired));
  assert.deepEqual(removed, [], 'without --repair nothing is touched');
  assert.match(r.faults.find((f) => f.kind === 'image-blob-missing')?.message ?? '', new RegExp(`image web:latest \\(7{12}\\) lacks blob ${d('c')}`));
});

test('system check --repair removes the orphans (mounts before folders) and never what a record names', async () => {
  const { ports, removed } = fakeStore();
  const r = await checkStore(ports, { repair: true });
  assert.deepEqual(removed, [
    `blob ${d('e')}`,
    `layer ${d('9')}`,
    `mount /data/containers/${cid('d')}/rootfs`,
    `dir ${cid('d')}`,
    'volume stray',
    `netns ${cid('d')}`,
  ]);
  assert.deepEqual(r.faults.filter((f) => !f.repaired).map((f) => f.kind).sort(), [
    'container-dir-missing', 'container-not-running', 'image-blob-corrupt', 'image-blob-missing', 'image-layer-missing', 'volume-dir-missing',
  ]);
  const again = await checkStore(ports, { repair: false });
  assert.equal(again.faults.filter((f) => f.kind.startsWith('orphan')).length, 0, 'a second check finds no orphan left');
});

test("collectOrphans removes only blobs and layers no image, container or lease names, and reads no blob", async () => {
  const { ports, removed } = fakeStore();
  let verified = 0;
  const n = await collectOrphans({ ...ports, blobs: { ...ports.blobs, verify: async () => (verified++, 'ok') } });
  // e: no image names it; 9: no image, container or lease. a, b (an image's), f (leased), 1, 8 stay.
  assert.deepEqual(removed.sort(), [`blob ${d('e')}`, `layer ${d('9')}`]);
  assert.equal(n, 2);
  assert.equal(verified, 0);
});

test('veths, masquerade rules and cgroups: only what no record names and no other berthd can own is a fault', async () => {
  const { ports } = fakeStore();
  const removed: string[] = [];
  ports.veths = async () => [
    { name: 'vethaaaaaaaaaaa', bridge: 'berth0', owned: true },
    { name: 'vethbbbbbbbbbbb', bridge: 'berth0', owned: false },
  ];
  ports.removeVeth = async (n) => void removed.push(`veth ${n}`);
  ports.masqueradeRules = async () => [
    { rule: 'POSTROUTING -s 10.1.0.0/24 ! -o mine -j MASQUERADE', network: cid('1'), known: true, bridgeExists: true },
    { rule: 'POSTROUTING -s 10.2.0.0/24 ! -o theirs -j MASQUERADE', network: cid('2'), known: false, bridgeExists: true },
    { rule: 'POSTROUTING -s 10.3.0.0/24 ! -o gone -j MASQUERADE', network: cid('3'), known: false, bridgeExists: false },
  ];
  ports.removeMasqueradeRule = async (r) => void removed.push(`rule ${r}`);
  ports.cgroups = async () => [
    { path: `/sys/fs/cgroup/pids/berth/${cid('c')}`, containerId: cid('c'), empty: true, ageMs: 3_600_000 },
    { path: `/sys/fs/cgroup/pids/berth/${cid('x')}`, containerId: cid('x'), empty: true, ageMs: 3_600_000 },
    { path: `/sys/fs/cgroup/pids/berth/${cid('y')}`, containerId: cid('y'), empty: true, ageMs: 5_000 },
    { path: `/sys/fs/cgroup/pids/berth/${cid('z')}`, containerId: cid('z'), empty: false, ageMs: 3_600_000 },
  ];
  ports.removeCgroup = async (p) => void removed.push(`cgroup ${p}`);
  const r = await checkStore(ports, { repair: true });
  const mine = r.faults.filter((f) => ['orphan-veth', 'orphan-iptables-rule', 'orphan-cgroup'].includes(f.kind));
  assert.deepEqual(mine.map((f) => [f.kind, f.object, f.repaired]), [
    ['orphan-veth', 'vethbbbbbbbbbbb', true],
    ['orphan-iptables-rule', 'POSTROUTING -s 10.3.0.0/24 ! -o gone -j MASQUERADE', true],
    ['orphan-cgroup', `/sys/fs/cgroup/pids/berth/${cid('x')}`, true],
  ]);
  assert.deepEqual(removed, ['veth vethbbbbbbbbbbb', 'rule POSTROUTING -s 10.3.0.0/24 ! -o gone -j MASQUERADE', `cgroup /sys/fs/cgroup/pids/berth/${cid('x')}`]);
  assert.deepEqual([r.checked.veths, r.checked.rules, r.checked.cgroups], [2, 3, 4]);
});
