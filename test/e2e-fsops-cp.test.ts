import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { TarWriter, readTar, type TarHeader } from '../src/util/tar/index.js';
import { TestDaemon } from './helpers/daemon.js';

let d: TestDaemon;
let hostDir: string;
before(async () => {
  d = await TestDaemon.start();
  await d.makeBusyboxImage();
  // A directory on the host that planted symlinks point at: nothing may ever appear in it.
  hostDir = join(d.dir, 'host-secret');
  await mkdir(hostDir);
  await writeFile(join(hostDir, 'secret'), 'host secret\n');
});
after(async () => {
  await d?.cleanup();
});

async function berthFsMounts(): Promise<string[]> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  return info.split('\n').filter((l) => l.includes(`${d.dataRoot}/tmp/fs-`));
}

async function tarOf(entries: (Partial<TarHeader> & Pick<TarHeader, 'name' | 'type'> & { data?: string })[]): Promise<Buffer> {
  const w = new TarWriter();
  const chunks: Buffer[] = [];
  const done = (async () => {
    for await (const c of w.stream) chunks.push(c as Buffer);
  })();
  for (const e of entries) {
    const body = e.data !== undefined ? Buffer.from(e.data) : undefined;
    await w.add({ size: body?.length ?? 0, mode: e.type === 'directory' ? 0o755 : 0o644, uid: 0, gid: 0, mtime: new Date(), ...e }, body);
  }
  await w.finish();
  await done;
  return Buffer.concat(chunks);
}

function api(method: string, path: string, body?: Buffer): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }> {
  return new Promise((resolve, reject) => {
    const req = request({ socketPath: d.socket, method, path, headers: body ? { 'Content-Type': 'application/x-tar', 'Content-Length': body.length } : {} }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

async function tarNames(buf: Buffer): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  for await (const e of readTar(Readable.from([buf]))) {
    const parts: Buffer[] = [];
    for await (const c of e.body) parts.push(c as Buffer);
    out.set(e.header.name, e.header.type === 'symlink' ? `-> ${e.header.linkname ?? ''}` : Buffer.concat(parts).toString());
  }
  return out;
}

test('docker cp copies files and directories both ways, running and stopped', async () => {
  const run = await d.berth(['run', '-d', '--name', 'cp1', 'busybox', 'sh', '-c', 'mkdir -p /data/sub && echo one > /data/a && echo two > /data/sub/b && sleep 300']);
  assert.equal(run.code, 0, run.stderr);
  const out = join(d.dir, 'out');
  await mkdir(out);
  let r = await d.docker(['cp', 'cp1:/data', join(out, 'data')]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await readFile(join(out, 'data/a'), 'utf8'), 'one\n');
  assert.equal(await readFile(join(out, 'data/sub/b'), 'utf8'), 'two\n');
  r = await d.docker(['cp', 'cp1:/data/a', join(out, 'renamed')]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await readFile(join(out, 'renamed'), 'utf8'), 'one\n');

  await writeFile(join(out, 'in.txt'), 'into the container\n');
  r = await d.docker(['cp', join(out, 'in.txt'), 'cp1:/data/sub/']);
  assert.equal(r.code, 0, r.stderr);
  r = await d.docker(['cp', join(out, 'data'), 'cp1:/copied']);
  assert.equal(r.code, 0, r.stderr);
  const names = await tarNames(Buffer.from((await d.run('sh', ['-c', `docker cp cp1:/data/sub/in.txt - | base64 -w0`])).stdout, 'base64'));
  assert.equal(names.get('in.txt'), 'into the container\n');

  // berth's own cp, and the HEAD stat header.
  r = await d.berth(['cp', 'cp1:/copied/sub/b', join(out, 'b-by-berth')]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await readFile(join(out, 'b-by-berth'), 'utf8'), 'two\n');
  const head = await api('HEAD', '/containers/cp1/archive?path=/data/sub');
  assert.equal(head.status, 200);
  const stat = JSON.parse(Buffer.from(String(head.headers['x-docker-container-path-stat']), 'base64').toString()) as { name: string; mode: number };
  assert.equal(stat.name, 'sub');
  assert.ok(stat.mode >= 2 ** 31, 'a directory has Go ModeDir set');

  // Stopped: the rootfs is mounted privately for the copy, and unmounted afterwards.
  assert.equal((await d.berth(['stop', '-t', '0', 'cp1'])).code, 0);
  r = await d.docker(['cp', join(out, 'in.txt'), 'cp1:/stopped.txt']);
  assert.equal(r.code, 0, r.stderr);
  r = await d.berth(['cp', 'cp1:/stopped.txt', join(out, 'back.txt')]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(await readFile(join(out, 'back.txt'), 'utf8'), 'into the container\n');
  assert.deepEqual(await berthFsMounts(), []);
  // A missing path is Docker's 404 with its words.
  r = await d.docker(['cp', 'cp1:/nope', join(out, 'nope')]);
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, /Could not find the file \/nope in container cp1|No such container:path/);
  await d.berth(['rm', '-f', 'cp1']);
});

test('cp never leaves the container rootfs through planted symlinks', async () => {
  const script = `ln -s ${hostDir} /abs && ln -s ../../../../../../../.. /up && ln -s /etc /etclink && sleep 300`;
  assert.equal((await d.berth(['run', '-d', '--name', 'esc', 'busybox', 'sh', '-c', script])).code, 0);
  await new Promise((res) => setTimeout(res, 300));
  // Reading through an absolute symlink to a host path: that path does not exist inside the container.
  let r = await d.docker(['cp', 'esc:/abs/secret', '-']);
  assert.notEqual(r.code, 0);
  assert.doesNotMatch(r.stdout, /host secret/);
  r = await d.docker(['cp', `esc:/up${hostDir}/secret`, '-']);
  assert.notEqual(r.code, 0);
  assert.doesNotMatch(r.stdout, /host secret/);
  // A relative symlink inside resolves inside: /etclink/passwd is the container's passwd.
  const g = await api('GET', '/containers/esc/archive?path=/etclink/passwd');
  assert.equal(g.status, 200);
  assert.match((await tarNames(g.body)).get('passwd') ?? '', /^root:x:0:0/);

  // Writing: through the API straight at the symlinks, and with a tar that plants its own symlink.
  const put1 = await api('PUT', '/containers/esc/archive?path=/up', await tarOf([{ name: 'dropped', type: 'file', data: 'x' }]));
  assert.equal(put1.status, 200, put1.body.toString());
  const planted = await tarOf([
    { name: 'evil', type: 'symlink', linkname: hostDir },
    { name: 'evil/pwned', type: 'file', data: 'pwned' },
    { name: 'rel', type: 'symlink', linkname: '../../../../../../..' },
    { name: `rel${hostDir}/pwned2`, type: 'file', data: 'pwned' },
  ]);
  const put2 = await api('PUT', '/containers/esc/archive?path=/abs', planted);
  assert.ok(put2.status === 200 || put2.status === 404, `status ${put2.status}: ${put2.body.toString()}`);
  const put3 = await api('PUT', '/containers/esc/archive?path=/tmp', planted);
  assert.equal(put3.status, 200, put3.body.toString());
  const dots = await api('PUT', '/containers/esc/archive?path=/tmp', await tarOf([{ name: '../../../../escaped', type: 'file', data: 'x' }]));
  assert.equal(dots.status, 400);
  r = await d.docker(['cp', join(hostDir, 'secret'), 'esc:/abs/']);
  assert.deepEqual((await readdir(hostDir)).sort(), ['secret'], 'nothing was written on the host');
  assert.equal(await readFile(join(hostDir, 'secret'), 'utf8'), 'host secret\n');
  // What was written landed inside the container, under the container's own paths.
  const inside = await api('GET', `/containers/esc/archive?path=${encodeURIComponent(`${hostDir}/pwned`)}`);
  assert.equal(inside.status, 200);
  assert.equal((await tarNames(inside.body)).get('pwned'), 'pwned');
  assert.equal((await api('HEAD', '/containers/esc/archive?path=/dropped')).status, 200);
  // Every copy thawed the container again, the failed ones too: a user pause still works.
  const pause = await d.berth(['pause', 'esc']);
  assert.equal(pause.code, 0, pause.stderr);
  await d.berth(['unpause', 'esc']);
  await d.berth(['rm', '-f', 'esc']);
});

test('PUT archive honours noOverwriteDirNonDir', async () => {
  assert.equal((await d.berth(['create', '--name', 'ow', 'busybox', 'true'])).code, 0);
  const r = await api('PUT', '/containers/ow/archive?path=/&noOverwriteDirNonDir=1', await tarOf([{ name: 'etc', type: 'file', data: 'x' }]));
  assert.equal(r.status, 400);
  assert.equal((JSON.parse(r.body.toString()) as { message: string }).message, 'cannot overwrite directory "/etc" with non-directory "etc"');
  const missing = await api('PUT', '/containers/ow/archive?path=/no/such/dir', await tarOf([{ name: 'f', type: 'file', data: 'x' }]));
  assert.equal(missing.status, 404);
  assert.deepEqual(await berthFsMounts(), []);
  await d.berth(['rm', 'ow']);
});
