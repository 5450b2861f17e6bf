import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mountsFromWire, parseBind, parseMountSpec, parseTmpfs, parseVolumesFrom } from './mounts.js';

test('parseBind tells named volumes, host binds and anonymous volumes apart', () => {
  assert.deepEqual(parseBind('data:/var/lib/x:ro'), { type: 'volume', source: 'data', destination: '/var/lib/x', rw: false, mode: 'ro', propagation: '', copyData: true });
  const b = parseBind('/srv/web:/usr/share/html:ro,rshared');
  assert.equal(b.type, 'bind');
  assert.equal(b.rw, false);
  assert.equal(b.propagation, 'rshared');
  assert.equal(b.createSource, true);
  assert.equal(parseBind('/host:/ctr').propagation, 'rprivate');
  const anon = parseBind('/cache:ro');
  assert.equal(anon.type, 'volume');
  assert.equal(anon.source, '');
  assert.equal(anon.destination, '/cache');
  assert.equal(anon.rw, false);
  assert.equal(parseBind('v:/d:nocopy').copyData, false);
  assert.equal(parseBind('v:/d/').destination, '/d');
});

test('parseBind refuses what Docker refuses', () => {
  assert.throws(() => parseBind('v:relative'), /mount path must be absolute/);
  assert.throws(() => parseBind('v:/'), /destination can't be '\/'/);
  assert.throws(() => parseBind('v:/d:ro,rw'), /invalid mode/);
  assert.throws(() => parseBind('v:/d:bogus'), /invalid mode/);
  assert.throws(() => parseBind('a:/b:ro:x'), /invalid volume specification/);
  assert.throws(() => parseBind('v:/d:rshared'), /invalid mode/);
});

test('parseMountSpec checks fields per type', () => {
  const v = parseMountSpec({ Type: 'volume', Source: 'cache', Target: '/c', ReadOnly: true, VolumeOptions: { NoCopy: true, Labels: { a: 'b' } } });
  assert.equal(v.rw, false);
  assert.equal(v.copyData, false);
  assert.deepEqual(v.volumeLabels, { a: 'b' });
  const b = parseMountSpec({ Type: 'bind', Source: '/x', Target: '/y', BindOptions: { Propagation: 'rslave' } });
  assert.equal(b.propagation, 'rslave');
  assert.notEqual(b.createSource, true);
  const t = parseMountSpec({ Type: 'tmpfs', Target: '/t', TmpfsOptions: { SizeBytes: 1048576, Mode: 0o1777 } });
  assert.deepEqual(t.options, ['size=1048576', 'mode=1777']);
  assert.throws(() => parseMountSpec({ Type: 'bind', Target: '/y' }), /field Source must not be empty/);
  assert.throws(() => parseMountSpec({ Type: 'tmpfs', Source: 'x', Target: '/y' }), /field Source must not be specified/);
  assert.throws(() => parseMountSpec({ Type: 'bind', Source: '/x', Target: '/y', VolumeOptions: {} }), /VolumeOptions must not be specified/);
  assert.throws(() => parseMountSpec({ Type: 'volume', Source: 'v', Target: '/y', VolumeOptions: { Subpath: '../up' } }), /invalid subpath/);
  assert.throws(() => parseMountSpec({ Type: 'nfs', Target: '/y' }), /mount type unknown/);
  assert.throws(() => parseMountSpec({ Type: 'volume' }), /field Target must not be empty/);
});

test('mountsFromWire: Binds, a src:dst left in Config.Volumes, Mounts, then Tmpfs; a destination twice refused', () => {
  const m = mountsFromWire({ Mounts: [{ Type: 'volume', Source: 'm', Target: '/m' }], Tmpfs: { '/t': 'size=1m' } }, ['b:/b'], { '/plain': {}, '/h:/h2': {} });
  assert.deepEqual(m.map((x) => `${x.type}:${x.destination}`), ['volume:/b', 'bind:/h2', 'volume:/m', 'tmpfs:/t']);
  assert.throws(() => mountsFromWire({ Tmpfs: { '/b': '' } }, ['b:/b'], {}), /Duplicate mount point: \/b/);
});

test('tmpfs entries keep their options', () => {
  assert.deepEqual(parseTmpfs('/run', 'size=64m,ro').options, ['size=64m', 'ro']);
  assert.equal(parseTmpfs('/run', 'ro').rw, false);
});

test('parseVolumesFrom takes container[:ro|rw]', () => {
  assert.deepEqual(parseVolumesFrom('web'), { container: 'web' });
  assert.deepEqual(parseVolumesFrom('web:ro'), { container: 'web', rw: false });
  assert.throws(() => parseVolumesFrom('web:z'), /invalid mode/);
});
