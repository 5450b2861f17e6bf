import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { TestDaemon } from './helpers/daemon.js';

let d: TestDaemon;
let bindDir: string;
let roDir: string;
let secretDir: string;
let local: string;
before(async () => {
  d = await TestDaemon.start();
  await d.makeBusyboxImage();
  bindDir = join(d.dir, 'bind');
  roDir = join(d.dir, 'ro-bind');
  // Planted symlinks point here: nothing may be read from or written into it through cp.
  secretDir = join(d.dir, 'secret');
  local = join(d.dir, 'local');
  for (const p of [bindDir, roDir, secretDir, local]) await mkdir(p);
  await writeFile(join(bindDir, 'from-host'), 'bound\n');
  await writeFile(join(roDir, 'ro-file'), 'read only\n');
  await writeFile(join(secretDir, 'secret'), 'host secret\n');
  await writeFile(join(local, 'upload'), 'uploaded\n');
});
after(async () => {
  await d?.cleanup();
});

async function fsMounts(): Promise<string[]> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  return info.split('\n').filter((l) => l.includes(`${d.dataRoot}/tmp/fs-`));
}

function head(container: string, path: string): Promise<{ status: number; stat: Record<string, unknown> | null }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: d.socket, method: 'HEAD', path: `/v1.41/containers/${container}/archive?path=${encodeURIComponent(path)}` }, (res) => {
      res.resume();
      const h = res.headers['x-docker-container-path-stat'];
      resolve({ status: res.statusCode ?? 0, stat: typeof h === 'string' ? (JSON.parse(Buffer.from(h, 'base64').toString()) as Record<string, unknown>) : null });
    });
    req.on('error', reject);
    req.end();
  });
}

async function volumePath(name: string): Promise<string> {
  return (JSON.parse((await d.docker(['volume', 'inspect', name])).stdout) as { Mountpoint: string }[])[0]?.Mountpoint ?? '';
}

test('cp reads and writes named and anonymous volumes and binds of a running container; read-only ones refuse writes', async () => {
  const script = 'echo in-volume > /vol/f; echo in-anon > /anon/f; ln -s / /vol/up; ln -s ../../../../../.. /bind/dots; sleep 1000';
  const run = await d.docker([
    'run', '-d', '--name', 'vols',
    '-v', 'named:/vol', '-v', '/anon', '-v', `${bindDir}:/bind`, '-v', `${roDir}:/robind:ro`, '-v', 'rovol:/rovol:ro',
    'busybox', 'sh', '-c', script,
  ]);
  assert.equal(run.code, 0, run.stderr);
  await new Promise((r) => setTimeout(r, 500));
  const out = join(d.dir, 'out');
  await mkdir(out);
  for (const [src, name, want] of [['/vol/f', 'vol-f', 'in-volume\n'], ['/anon/f', 'anon-f', 'in-anon\n'], ['/bind/from-host', 'bind-f', 'bound\n'], ['/robind/ro-file', 'ro-f', 'read only\n']]) {
    const r = await d.docker(['cp', `vols:${src as string}`, join(out, name as string)]);
    assert.equal(r.code, 0, `${src as string}: ${r.stderr}`);
    assert.equal(await readFile(join(out, name as string), 'utf8'), want);
  }
  const st = await head('vols', '/vol/f');
  assert.equal(st.status, 200);
  assert.equal(st.stat?.['size'], 'in-volume\n'.length);

  // In: the volume's and the bind's own directories get the file, and the container sees it.
  assert.equal((await d.docker(['cp', join(local, 'upload'), 'vols:/vol/'])).code, 0);
  assert.equal(await readFile(join(await volumePath('named'), 'upload'), 'utf8'), 'uploaded\n');
  assert.equal((await d.docker(['cp', join(local, 'upload'), 'vols:/bind/'])).code, 0);
  assert.equal(await readFile(join(bindDir, 'upload'), 'utf8'), 'uploaded\n');
  assert.equal((await d.docker(['exec', 'vols', 'cat', '/vol/upload', '/bind/upload'])).stdout, 'uploaded\nuploaded\n');
  // The rootfs underneath the mount points is untouched.
  assert.equal((await d.docker(['diff', 'vols'])).stdout.includes('upload'), false);

  for (const ro of ['/robind/', '/rovol/']) {
    const r = await d.docker(['cp', join(local, 'upload'), `vols:${ro}`]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /mounted volume is marked read-only/);
  }
  assert.deepEqual(await readdir(roDir), ['ro-file']);

  // Symlinks in a volume or bind resolve inside the container: `/vol/up` is the container's root.
  const esc = await d.docker(['cp', `vols:/vol/up${secretDir}/secret`, join(out, 'leak')]);
  assert.notEqual(esc.code, 0);
  assert.match(esc.stderr, /Could not find the file/);
  const passwd = await d.docker(['cp', 'vols:/bind/dots/etc/passwd', join(out, 'passwd')]);
  assert.equal(passwd.code, 0, passwd.stderr);
  assert.equal(await readFile(join(out, 'passwd'), 'utf8'), (await d.docker(['exec', 'vols', 'cat', '/etc/passwd'])).stdout, "the container's passwd");
  const plant = await d.docker(['cp', join(local, 'upload'), `vols:/vol/up${secretDir}/`]);
  assert.notEqual(plant.code, 0);
  assert.deepEqual((await readdir(secretDir)).sort(), ['secret']);
  assert.deepEqual(await fsMounts(), [], 'no view mount left behind');
  await d.docker(['rm', '-f', '-v', 'vols']);
  await d.docker(['volume', 'rm', 'named', 'rovol']);
});

test('cp into and out of a volume of a stopped (never started) container', async () => {
  const id = (await d.docker(['create', '-v', 'later:/data', '-v', `${bindDir}:/mnt/b:ro`, 'busybox', 'true'])).stdout.trim();
  assert.equal((await d.docker(['cp', join(local, 'upload'), `${id}:/data/`])).code, 0);
  assert.equal(await readFile(join(await volumePath('later'), 'upload'), 'utf8'), 'uploaded\n');
  const out = join(d.dir, 'from-stopped');
  const r = await d.docker(['cp', `${id}:/mnt/b/from-host`, out]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await readFile(out, 'utf8'), 'bound\n');
  const ro = await d.docker(['cp', join(local, 'upload'), `${id}:/mnt/b/`]);
  assert.match(ro.stderr, /mounted volume is marked read-only/);
  assert.deepEqual(await fsMounts(), []);
  const run = await d.docker(['run', '--rm', '-v', 'later:/data', 'busybox', 'cat', '/data/upload']);
  assert.equal(run.stdout, 'uploaded\n');
  await d.docker(['rm', id]);
  await d.docker(['volume', 'rm', 'later']);
});

test('a read-only rootfs takes files into its writable volumes only', async () => {
  const id = (await d.docker(['run', '-d', '--read-only', '-v', 'rw-in-ro:/w', 'busybox', 'sleep', '1000'])).stdout.trim();
  assert.equal((await d.docker(['cp', join(local, 'upload'), `${id}:/w/`])).code, 0);
  const r = await d.docker(['cp', join(local, 'upload'), `${id}:/tmp/`]);
  assert.match(r.stderr, /container rootfs is marked read-only/);
  await d.docker(['rm', '-f', id]);
  await d.docker(['volume', 'rm', 'rw-in-ro']);
});
