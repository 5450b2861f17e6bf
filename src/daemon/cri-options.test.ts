import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOptions } from './options.js';

async function withConfig(cfg: unknown, argv: string[], fn: (load: () => ReturnType<typeof loadOptions>) => Promise<void>): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-cri-opt-'));
  try {
    const file = join(dir, 'daemon.json');
    await writeFile(file, JSON.stringify(cfg));
    await fn(() => loadOptions(['--config-file', file, '--exec-root', '/run/x', ...argv], {}));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

test('cri defaults: on, <exec-root>/cri.sock, pause 3.9, the CNI dirs kubelet nodes use, cgroupfs, k8s.io', async () => {
  await withConfig({}, [], async (load) => {
    const o = await load();
    assert.ok(typeof o === 'object');
    assert.deepEqual(o.cri, {
      enabled: true,
      socket: '/run/x/cri.sock',
      sandboxImage: 'registry.k8s.io/pause:3.9',
      cniConfDir: '/etc/cni/net.d',
      cniBinDirs: ['/opt/cni/bin', '/usr/lib/cni'],
      cgroupDriver: 'cgroupfs',
      streamAddress: '127.0.0.1',
      streamPort: 0,
      namespace: 'k8s.io',
    });
  });
  const plain = await loadOptions(['--config-file', '/nonexistent-berth/daemon.json'], {}).catch((e: Error) => e);
  assert.ok(plain instanceof Error, 'a --config-file that is missing is refused');
});

test('cri section of daemon.json, --cri=false, --cri and --cri-socket', async () => {
  const section = {
    socket: '/run/k/cri.sock',
    'sandbox-image': '127.0.0.1:5000/pause:3.9',
    'cni-conf-dir': '/srv/cni/net.d',
    'cni-bin-dirs': ['/srv/cni/bin'],
    'cgroup-driver': 'cgroupfs',
    'stream-address': '0.0.0.0',
    'stream-port': 10010,
    namespace: 'k8s.io',
  };
  await withConfig({ cri: section }, ['--cri=false'], async (load) => {
    const o = await load();
    assert.ok(typeof o === 'object');
    assert.deepEqual(o.cri, {
      enabled: false,
      socket: '/run/k/cri.sock',
      sandboxImage: '127.0.0.1:5000/pause:3.9',
      cniConfDir: '/srv/cni/net.d',
      cniBinDirs: ['/srv/cni/bin'],
      cgroupDriver: 'cgroupfs',
      streamAddress: '0.0.0.0',
      streamPort: 10010,
      namespace: 'k8s.io',
    });
  });
  await withConfig({}, ['--cri', '--cri-socket', '/tmp/c.sock'], async (load) => {
    const o = await load();
    assert.ok(typeof o === 'object');
    assert.equal(o.cri.enabled, true);
    assert.equal(o.cri.socket, '/tmp/c.sock');
  });
});

test('cri: unknown keys, bad values and a socket given twice are refused by name', async () => {
  const cases: [unknown, string[], RegExp][] = [
    [{ cri: { 'sandbox-imag': 'x' } }, [], /keys of "cri" don't match any configuration option: sandbox-imag/],
    [{ cri: [] }, [], /cri must be an object/],
    [{ cri: { 'cgroup-driver': 'cgroupv2' } }, [], /cri\.cgroup-driver "cgroupv2": use "cgroupfs" or "systemd"/],
    [{ cri: { 'cgroup-driver': 'systemd' } }, [], /cri\.cgroup-driver "systemd" is not supported by berth yet/],
    [{ cri: { 'stream-port': 70000 } }, [], /cri\.stream-port 70000/],
    [{ cri: { 'stream-address': 'localhost' } }, [], /cri\.stream-address "localhost" is not an IP address/],
    [{ cri: { 'cni-conf-dir': 'net.d' } }, [], /cri\.cni-conf-dir must be an absolute path/],
    [{ cri: { 'cni-bin-dirs': '/opt/cni/bin' } }, [], /cri\.cni-bin-dirs must be a non-empty list/],
    [{ cri: { 'sandbox-image': 'Pause:3.9' } }, [], /cri\.sandbox-image "Pause:3\.9"/],
    [{ cri: { namespace: 'k8s io' } }, [], /cri\.namespace "k8s io"/],
    [{ cri: { socket: '/run/a.sock' } }, ['--cri-socket', '/run/b.sock'], /specified both as a flag and in the configuration file: cri\.socket/],
    [{}, ['--cri=maybe'], /invalid value "maybe" for --cri/],
    [{}, ['--cri-socket', 'rel.sock'], /--cri-socket must be an absolute path/],
  ];
  for (const [cfg, argv, want] of cases) {
    await withConfig(cfg, argv, async (load) => {
      await assert.rejects(load(), want, JSON.stringify(cfg) + argv.join(' '));
    });
  }
});
