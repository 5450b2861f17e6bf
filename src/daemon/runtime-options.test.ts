import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadOptions } from './options.js';
import { runtimeOptions } from './runtime-options.js';

const CRUN = existsSync('/usr/bin/crun');

test('runc is always offered, crun when installed, then the configured runtimes with their args', () => {
  const o = runtimeOptions({ runtimes: { fast: { path: '/opt/fast', runtimeArgs: ['--debug', '--systemd-cgroup'] } } }, { 'add-runtime': ['other=/usr/local/bin/other'] }, '/usr/sbin/runc');
  assert.deepEqual(o.runtimes[0], { name: 'runc', path: '/usr/sbin/runc', args: [] });
  assert.equal(o.runtimes.some((r) => r.name === 'crun'), CRUN);
  assert.deepEqual(o.runtimes.find((r) => r.name === 'fast'), { name: 'fast', path: '/opt/fast', args: ['--debug', '--systemd-cgroup'] });
  assert.deepEqual(o.runtimes.find((r) => r.name === 'other'), { name: 'other', path: '/usr/local/bin/other', args: [] });
  assert.equal(o.defaultRuntime, 'runc');
  assert.deepEqual(o.cdiSpecDirs, ['/etc/cdi', '/var/run/cdi']);
  // A configured crun replaces the one found on PATH.
  const c = runtimeOptions({ runtimes: { crun: { path: '/opt/crun', runtimeArgs: ['--cgroup-manager=disabled'] } } }, {}, '/usr/sbin/runc');
  assert.deepEqual(c.runtimes.filter((r) => r.name === 'crun'), [{ name: 'crun', path: '/opt/crun', args: ['--cgroup-manager=disabled'] }]);
});

test('dockerd refusals: runc reserved, unknown default, bad flag, shim runtimes, bad dirs', () => {
  assert.throws(() => runtimeOptions({ runtimes: { runc: { path: '/x' } } }, {}, '/usr/sbin/runc'), /runtime name 'runc' is reserved/);
  assert.throws(() => runtimeOptions({}, { 'add-runtime': ['runc=/x'] }, '/usr/sbin/runc'), /runtime name 'runc' is reserved/);
  assert.throws(() => runtimeOptions({}, { 'default-runtime': 'ghost' }, '/usr/sbin/runc'), /specified default runtime 'ghost' does not exist/);
  assert.throws(() => runtimeOptions({}, { 'add-runtime': ['noequals'] }, '/usr/sbin/runc'), /invalid runtime argument: noequals/);
  assert.throws(() => runtimeOptions({}, { 'add-runtime': ['a=/x', 'a=/y'] }, '/usr/sbin/runc'), /runtime 'a' already defined/);
  assert.throws(() => runtimeOptions({ runtimes: { k: { runtimeType: 'io.containerd.kata.v2' } } }, {}, '/usr/sbin/runc'), /runtimes\.k\.runtimeType is not supported by berth/);
  assert.throws(() => runtimeOptions({ runtimes: { k: {} } }, {}, '/usr/sbin/runc'), /runtimes\.k needs a "path"/);
  assert.throws(() => runtimeOptions({ runtimes: { k: { path: '/x', runtimeArgs: 'no' } } }, {}, '/usr/sbin/runc'), /runtimeArgs must be a list of strings/);
  assert.throws(() => runtimeOptions({ 'cdi-spec-dirs': ['relative'] }, {}, '/usr/sbin/runc'), /must be an absolute path/);
  assert.deepEqual(runtimeOptions({ 'default-runtime': 'k', runtimes: { k: { path: '/x' } } }, {}, '/r').defaultRuntime, 'k');
  assert.deepEqual(runtimeOptions({}, { 'cdi-spec-dir': ['/a', '/b'] }, '/r').cdiSpecDirs, ['/a', '/b']);
  assert.equal(runtimeOptions({}, {}, '/r').cdi, true);
  assert.equal(runtimeOptions({ features: { cdi: true } }, {}, '/r').cdi, true);
  assert.equal(runtimeOptions({ features: { cdi: false } }, {}, '/r').cdi, false);
  assert.throws(() => runtimeOptions({ features: { 'containerd-snapshotter': true } }, {}, '/r'), /features\.containerd-snapshotter is not supported by berth/);
});

test('daemon.json and the flags: the same option in both is refused as dockerd does', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-rtopt-'));
  try {
    const cfg = join(dir, 'daemon.json');
    await writeFile(cfg, JSON.stringify({ runtimes: { k: { path: '/x' } }, 'default-runtime': 'k', 'cdi-spec-dirs': ['/c'] }));
    const o = await loadOptions(['--config-file', cfg], {});
    assert.ok(typeof o === 'object');
    assert.equal(o.defaultRuntime, 'k');
    assert.deepEqual(o.cdiSpecDirs, ['/c']);
    await assert.rejects(loadOptions(['--config-file', cfg, '--add-runtime', 'j=/y'], {}), /specified both as a flag and in the configuration file: runtimes: \(from flag: \[j=\/y\], from file: map\[k:map\[path:\/x\]\]\)/);
    await assert.rejects(loadOptions(['--config-file', cfg, '--default-runtime', 'runc'], {}), /default-runtime: \(from flag: runc, from file: k\)/);
    await assert.rejects(loadOptions(['--config-file', cfg, '--cdi-spec-dir', '/d'], {}), /cdi-spec-dirs: \(from flag: \[\/d\], from file: \[\/c\]\)/);
    const flags = await loadOptions(['--add-runtime', 'j=/y', '--default-runtime', 'j'], { BERTH_CONFIG_FILE: join(dir, 'absent.json') });
    assert.ok(typeof flags === 'object');
    assert.equal(flags.defaultRuntime, 'j');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
