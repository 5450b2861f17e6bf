import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CdiRegistry, isQualifiedName, mergeEdits, parseCdiSpec } from './index.js';

const SPEC = {
  cdiVersion: '0.6.0',
  kind: 'example.com/dev',
  containerEdits: { env: ['A=1'], mounts: [{ hostPath: '/lib/x', containerPath: '/x', options: ['ro'] }] },
  devices: [
    { name: 'null', containerEdits: { env: ['B=2'], deviceNodes: [{ path: '/dev/berth-null', hostPath: '/dev/null', type: 'c', major: 1, minor: 3, fileMode: 438 }] } },
    { name: 'zero', containerEdits: { hooks: [{ hookName: 'createContainer', path: '/bin/hook', args: ['hook', 'x'], timeout: 5 }], additionalGids: [44] } },
  ],
};

test('qualified names are vendor/class=name', () => {
  assert.ok(isQualifiedName('example.com/dev=null'));
  assert.ok(isQualifiedName('nvidia.com/gpu=0'));
  assert.ok(isQualifiedName('nvidia.com/gpu=GPU-1234:0'));
  for (const bad of ['/dev/null', 'example.com/dev', 'dev=null', 'a/b/c=d', 'example.com/dev=', '1vendor/dev=x']) assert.ok(!isQualifiedName(bad), bad);
});

test('a spec parses into its kind, spec-wide edits and devices', () => {
  const s = parseCdiSpec(SPEC);
  assert.equal(s.kind, 'example.com/dev');
  assert.deepEqual(s.edits.env, ['A=1']);
  assert.deepEqual(s.edits.mounts, [{ hostPath: '/lib/x', containerPath: '/x', options: ['ro'] }]);
  assert.deepEqual(s.devices.map((d) => d.name), ['null', 'zero']);
  assert.deepEqual(s.devices[0]?.edits.deviceNodes, [{ path: '/dev/berth-null', hostPath: '/dev/null', type: 'c', major: 1, minor: 3, fileMode: 438 }]);
  assert.deepEqual(s.devices[1]?.edits.hooks, [{ hookName: 'createContainer', path: '/bin/hook', args: ['hook', 'x'], timeout: 5 }]);
  assert.deepEqual(s.devices[1]?.edits.additionalGids, [44]);
});

test('a bad spec is refused naming the field', () => {
  const bad = (patch: Record<string, unknown>): Record<string, unknown> => ({ ...SPEC, ...patch });
  assert.throws(() => parseCdiSpec(bad({ cdiVersion: '1.0.0' })), /cdiVersion "1.0.0" is not supported/);
  assert.throws(() => parseCdiSpec(bad({ kind: 'nokind' })), /kind "nokind" is not a valid vendor\/class/);
  assert.throws(() => parseCdiSpec(bad({ devices: [] })), /no devices/);
  assert.throws(() => parseCdiSpec(bad({ devices: [{ name: 'a' }, { name: 'a' }] })), /device "a" is defined twice/);
  assert.throws(() => parseCdiSpec(bad({ devices: [{ name: 'a', containerEdits: { deviceNodes: [{ path: 'rel' }] } }] })), /devices\[0\]\.containerEdits\.deviceNodes\[0\]\.path must be an absolute path/);
  assert.throws(() => parseCdiSpec(bad({ devices: [{ name: 'a', containerEdits: { hooks: [{ hookName: 'later', path: '/x' }] } }] })), /hookName "later" is not one of/);
  assert.throws(() => parseCdiSpec(bad({ devices: [{ name: 'a', containerEdits: { env: ['NOEQUALS'] } }] })), /invalid variable "NOEQUALS"/);
  assert.throws(() => parseCdiSpec(bad({ devices: [{ name: 'a', containerEdits: { intelRdt: { closID: 'x' } } }] })), /intelRdt is not supported by berth/);
});

test('edits merge in order, gids once', () => {
  const a = { env: ['A=1'], deviceNodes: [], mounts: [], hooks: [], additionalGids: [1] };
  const b = { env: ['B=2'], deviceNodes: [{ path: '/dev/x' }], mounts: [], hooks: [], additionalGids: [1, 2] };
  assert.deepEqual(mergeEdits(a, b), { env: ['A=1', 'B=2'], deviceNodes: [{ path: '/dev/x' }], mounts: [], hooks: [], additionalGids: [1, 2] });
});

test('the registry resolves names across dirs: spec edits once, then each device; a later dir wins; unknown names are listed', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-cdi-'));
  try {
    await mkdir(join(dir, 'etc'));
    await mkdir(join(dir, 'run'));
    await writeFile(join(dir, 'etc', 'a.json'), JSON.stringify(SPEC));
    await writeFile(join(dir, 'run', 'b.json'), JSON.stringify({ cdiVersion: '0.5.0', kind: 'example.com/dev', devices: [{ name: 'zero', containerEdits: { env: ['LATER=1'] } }] }));
    await writeFile(join(dir, 'run', 'c.yaml'), 'cdiVersion: 0.6.0\nkind: [unclosed\n');
    await writeFile(join(dir, 'run', 'd.yaml'), ['cdiVersion: "0.6.0"', 'kind: yaml.example/dev', 'devices:', '  - name: one', '    containerEdits:', '      env: ["Y=1"]', '      deviceNodes:', '        - path: /dev/y', '          hostPath: /dev/null', '          fileMode: 0o666', ''].join('\n'));
    const r = new CdiRegistry([join(dir, 'etc'), join(dir, 'run'), join(dir, 'absent')]);
    assert.deepEqual(await r.list(), ['example.com/dev=null', 'example.com/dev=zero', 'yaml.example/dev=one']);
    const y = await r.resolve(['yaml.example/dev=one']);
    assert.deepEqual(y.env, ['Y=1']);
    assert.deepEqual(y.deviceNodes, [{ path: '/dev/y', hostPath: '/dev/null', fileMode: 0o666 }]);
    const e = await r.resolve(['example.com/dev=null']);
    assert.deepEqual(e.env, ['A=1', 'B=2']);
    assert.equal(e.mounts.length, 1);
    const z = await r.resolve(['example.com/dev=zero']);
    assert.deepEqual(z.env, ['LATER=1'], 'the later directory replaces the device');
    const both = await r.resolve(['example.com/dev=null', 'example.com/dev=null']);
    assert.deepEqual(both.env, ['A=1', 'B=2'], 'a name given twice counts once');
    await assert.rejects(r.resolve(['example.com/dev=nope', 'x.org/gpu=1']), /unresolvable CDI devices example\.com\/dev=nope, x\.org\/gpu=1; specs that could not be read: .*c\.yaml: invalid YAML: /);
    await assert.rejects(r.resolve(['not-a-name']), /invalid CDI device name "not-a-name"/);
    await writeFile(join(dir, 'etc', 'dup.json'), JSON.stringify({ ...SPEC, containerEdits: {} }));
    await assert.rejects(r.resolve(['example.com/dev=null']), /conflicting CDI devices example\.com\/dev=null \(defined in both/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
