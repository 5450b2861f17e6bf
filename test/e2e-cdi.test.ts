import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TestDaemon } from './helpers/daemon.js';

/*
 * CDI devices (Docker 25+): `--device vendor/class=name` resolved from the spec files of daemon.json
 * `cdi-spec-dirs`. The test's spec gives a harmless device: /dev/null as /dev/berth-null, variables
 * (one spec-wide, one the device's own), a read-only bind mount of a folder of the test, and a
 * poststart hook that writes a file on the host.
 */
let d!: TestDaemon;
let cdiDir = '';
let shared = '';
let hookOut = '';

function spec(): Record<string, unknown> {
  return {
    cdiVersion: '0.6.0',
    kind: 'example.com/dev',
    containerEdits: { env: ['CDI_SPEC=example'] },
    devices: [
      {
        name: 'null',
        containerEdits: {
          env: ['CDI_DEVICE=null'],
          deviceNodes: [{ path: '/dev/berth-null', hostPath: '/dev/null', permissions: 'rw' }],
          mounts: [{ hostPath: shared, containerPath: '/cdi-shared', options: ['ro', 'nosuid', 'nodev', 'bind'] }],
          hooks: [{ hookName: 'poststart', path: '/bin/sh', args: ['sh', '-c', `echo started > ${hookOut}`] }],
        },
      },
      { name: 'other', containerEdits: { env: ['CDI_OTHER=1'] } },
    ],
  };
}

before(async () => {
  d = await TestDaemon.start({
    config: (dir) => {
      cdiDir = join(dir, 'cdi');
      shared = join(dir, 'shared');
      hookOut = join(dir, 'hook-out');
      return { 'cdi-spec-dirs': [cdiDir] };
    },
  });
  await mkdir(cdiDir, { recursive: true });
  await mkdir(shared, { recursive: true });
  await writeFile(join(shared, 'hello.txt'), 'from the host\n');
  await writeFile(join(cdiDir, 'example.json'), JSON.stringify(spec()));
  await d.makeBusyboxImage();
});
after(async () => {
  await d?.cleanup();
});

const CHECK = 'ls -l /dev/berth-null; echo x > /dev/berth-null && echo wrote; echo "$CDI_SPEC $CDI_DEVICE"; cat /cdi-shared/hello.txt; touch /cdi-shared/x 2>&1 || true';

test('docker info lists the CDI spec directories', async () => {
  const info = await d.docker(['info']);
  assert.equal(info.code, 0, info.stderr);
  assert.match(info.stdout, new RegExp(`CDI spec directories:\\n\\s+${cdiDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\n`));
  const b = await d.berth(['info']);
  assert.equal(b.code, 0, b.stderr);
  assert.ok(b.stdout.includes(` CDI spec directories:\n  ${cdiDir}\n`), b.stdout);
  const json = await d.docker(['info', '--format', '{{json .CDISpecDirs}}']);
  assert.deepEqual(JSON.parse(json.stdout), [cdiDir]);
});

test('docker run --device example.com/dev=null gets the node, the env, the mount and the hook', async () => {
  await rm(hookOut, { force: true });
  const r = await d.docker(['run', '--name', 'cdi1', '--network', 'none', '--device', 'example.com/dev=null', 'busybox', 'sh', '-c', CHECK]);
  assert.equal(r.code, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.match(lines[0] ?? '', /^crw-rw-rw-\s+1 root\s+root\s+1,\s+3 .* \/dev\/berth-null$/, r.stdout);
  assert.equal(lines[1], 'wrote');
  assert.equal(lines[2], 'example null');
  assert.equal(lines[3], 'from the host');
  assert.match(lines[4] ?? '', /Read-only file system/);
  assert.equal((await readFile(hookOut, 'utf8')).trim(), 'started', 'the poststart hook ran');
  const req = await d.docker(['inspect', '-f', '{{json .HostConfig.DeviceRequests}}', 'cdi1']);
  assert.deepEqual(JSON.parse(req.stdout), [{ Driver: 'cdi', Count: 0, DeviceIDs: ['example.com/dev=null'], Capabilities: null, Options: null }]);
  await d.docker(['rm', 'cdi1']);
});

test('berth run --device with a CDI name does the same', async () => {
  const r = await d.berth(['run', '--rm', '--network', 'none', '--device', 'example.com/dev=null', '--device', 'example.com/dev=other', 'busybox', 'sh', '-c', 'echo "$CDI_SPEC $CDI_DEVICE $CDI_OTHER"; test -c /dev/berth-null && echo node']);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'example null 1\nnode');
});

test('an unknown CDI device is refused with a message naming it', async () => {
  const r = await d.docker(['run', '--rm', '--device', 'example.com/dev=nope', '--device', 'other.org/thing=y', 'busybox', 'true']);
  assert.equal(r.code, 125);
  assert.match(r.stderr, /CDI device injection failed: unresolvable CDI devices example\.com\/dev=nope, other\.org\/thing=y/);
  const b = await d.berth(['run', '--rm', '--device', 'example.com/dev=nope', 'busybox', 'true']);
  assert.equal(b.code, 125);
  assert.match(b.stderr, /unresolvable CDI devices example\.com\/dev=nope/);
  assert.equal((await d.docker(['ps', '-aq'])).stdout.trim(), '', 'no container was made');
});

test('--gpus without a matching CDI device gets dockerd message', async () => {
  const r = await d.docker(['run', '--rm', '--gpus', 'all', 'busybox', 'true']);
  assert.equal(r.code, 125);
  assert.match(r.stderr, /could not select device driver "" with capabilities: \[\[gpu\]\]/);
  const b = await d.berth(['run', '--rm', '--gpus', 'all', 'busybox', 'true']);
  assert.equal(b.code, 125);
  assert.match(b.stderr, /could not select device driver "" with capabilities: \[\[gpu\]\]/);
});

test('--gpus with an nvidia.com/gpu CDI spec injects its devices; specs are read at each create', async () => {
  await writeFile(join(cdiDir, 'gpu.json'), JSON.stringify({ cdiVersion: '0.5.0', kind: 'nvidia.com/gpu', devices: [{ name: 'all', containerEdits: { env: ['FAKE_GPU=all'] } }] }));
  try {
    const r = await d.docker(['run', '--rm', '--network', 'none', '--gpus', 'all', 'busybox', 'sh', '-c', 'echo $FAKE_GPU']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'all');
  } finally {
    await rm(join(cdiDir, 'gpu.json'), { force: true });
  }
});

test('a YAML spec works as nvidia-ctk writes them', async () => {
  const yaml = ['cdiVersion: 0.5.0', 'kind: yaml.example/dev', 'containerEdits:', '  env:', '    - FROM_YAML=yes', 'devices:', '  - name: a', '    containerEdits:', '      deviceNodes:', '        - path: /dev/yaml-null', '          hostPath: /dev/null', ''].join('\n');
  await writeFile(join(cdiDir, 'y.yaml'), yaml);
  try {
    const r = await d.docker(['run', '--rm', '--network', 'none', '--device', 'yaml.example/dev=a', 'busybox', 'sh', '-c', 'echo $FROM_YAML; test -c /dev/yaml-null && echo node']);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.trim(), 'yes\nnode');
  } finally {
    await rm(join(cdiDir, 'y.yaml'), { force: true });
  }
});

test('a broken spec is named when a device it may define is asked for; the good ones still work', async () => {
  await writeFile(join(cdiDir, 'y.yaml'), 'cdiVersion: 0.6.0\nkind: [yaml.example/dev\n');
  await writeFile(join(cdiDir, 'broken.json'), JSON.stringify({ cdiVersion: '0.6.0', kind: 'broken.example/dev', devices: [{ name: 'a', containerEdits: { deviceNodes: [{ path: 'relative' }] } }] }));
  try {
    const r = await d.docker(['run', '--rm', '--device', 'yaml.example/dev=a', 'busybox', 'true']);
    assert.equal(r.code, 125);
    assert.match(r.stderr, /unresolvable CDI devices yaml\.example\/dev=a/);
    assert.match(r.stderr, /y\.yaml: invalid YAML: /);
    assert.match(r.stderr, /broken\.json: devices\[0\]\.containerEdits\.deviceNodes\[0\]\.path must be an absolute path/);
    // The good spec beside them still works.
    const ok = await d.docker(['run', '--rm', '--network', 'none', '--device', 'example.com/dev=other', 'busybox', 'sh', '-c', 'echo $CDI_OTHER']);
    assert.equal(ok.code, 0, ok.stderr);
    assert.equal(ok.stdout.trim(), '1');
  } finally {
    await rm(join(cdiDir, 'y.yaml'), { force: true });
    await rm(join(cdiDir, 'broken.json'), { force: true });
  }
});

test('daemon.json features.cdi false turns CDI off, with dockerd message', async () => {
  const off = await TestDaemon.start({ config: () => ({ features: { cdi: false }, 'cdi-spec-dirs': [cdiDir] }) });
  try {
    await off.makeBusyboxImage();
    const r = await off.docker(['run', '--rm', '--device', 'example.com/dev=null', 'busybox', 'true']);
    assert.equal(r.code, 125);
    assert.match(r.stderr, /could not select device driver "cdi" with capabilities: \[\] \(CDI is off: daemon.json features.cdi is false\)/);
  } finally {
    await off.cleanup();
  }
});
