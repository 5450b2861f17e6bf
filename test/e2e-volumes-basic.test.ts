import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TestDaemon, useBusyboxDaemon } from './helpers/daemon.js';

let d!: TestDaemon;
useBusyboxDaemon((daemon) => (d = daemon));

const ok = (r: { code: number; stderr: string }, what = ''): void => assert.equal(r.code, 0, `${what} ${r.stderr}`);

test('volume create, ls with filters and formats, inspect, rm (docker CLI and berth)', async () => {
  ok(await d.docker(['volume', 'create', '--label', 'team=blue', 'vol-a']));
  assert.equal((await d.berth(['volume', 'create', 'vol-b'])).stdout.trim(), 'vol-b');
  const ls = await d.docker(['volume', 'ls']);
  ok(ls);
  assert.match(ls.stdout, /^DRIVER\s+VOLUME NAME\nlocal\s+vol-a\nlocal\s+vol-b\n$/);
  assert.equal((await d.berth(['volume', 'ls', '-q', '--filter', 'label=team=blue'])).stdout, 'vol-a\n');
  assert.equal((await d.docker(['volume', 'ls', '-q', '--filter', 'name=b'])).stdout, 'vol-b\n');
  assert.equal((await d.berth(['volume', 'ls', '--format', '{{.Name}}:{{.Driver}}:{{.Labels}}', '-f', 'label=team'])).stdout, 'vol-a:local:team=blue\n');
  const insp = JSON.parse((await d.docker(['volume', 'inspect', 'vol-a'])).stdout) as Array<Record<string, unknown>>;
  assert.equal(insp[0]?.['Name'], 'vol-a');
  assert.equal(insp[0]?.['Driver'], 'local');
  assert.equal(insp[0]?.['Scope'], 'local');
  assert.deepEqual(insp[0]?.['Labels'], { team: 'blue' });
  assert.equal(insp[0]?.['Mountpoint'], join(d.dataRoot, 'volumes/vol-a/_data'));
  assert.equal((await d.berth(['volume', 'inspect', '-f', '{{.Mountpoint}}', 'vol-b'])).stdout.trim(), join(d.dataRoot, 'volumes/vol-b/_data'));
  const missing = await d.docker(['volume', 'inspect', 'nope']);
  assert.equal(missing.code, 1);
  assert.match(missing.stderr, /no such volume/i);
  const bad = await d.docker(['volume', 'create', 'bad/name']);
  assert.notEqual(bad.code, 0);
  assert.match(bad.stderr, /includes invalid characters for a local volume name/);
  assert.equal((await d.docker(['volume', 'rm', 'vol-a', 'vol-b'])).stdout, 'vol-a\nvol-b\n');
  assert.equal(existsSync(join(d.dataRoot, 'volumes/vol-a')), false);
  assert.equal((await d.berth(['volume', 'ls', '-q'])).stdout, '');
});

test('data in a named volume outlives the container; a volume in use cannot be removed', async () => {
  ok(await d.docker(['run', '--rm', '-v', 'keep:/data', 'busybox', 'sh', '-c', 'echo hello > /data/f']), 'write');
  const r = await d.berth(['run', '--rm', '-v', 'keep:/mnt:ro', 'busybox', 'cat', '/mnt/f']);
  ok(r, 'read');
  assert.equal(r.stdout, 'hello\n');
  const ro = await d.berth(['run', '--rm', '-v', 'keep:/mnt:ro', 'busybox', 'sh', '-c', 'echo x > /mnt/g']);
  assert.notEqual(ro.code, 0);
  assert.match(ro.stderr + ro.stdout, /Read-only file system/);
  const id = (await d.berth(['create', '--name', 'holder', '-v', 'keep:/data', 'busybox', 'true'])).stdout.trim();
  const rm = await d.docker(['volume', 'rm', 'keep']);
  assert.equal(rm.code, 1);
  assert.match(rm.stderr, new RegExp(`Error response from daemon: remove keep: volume is in use - \\[${id}\\]`));
  const mounts = JSON.parse((await d.docker(['inspect', '-f', '{{json .Mounts}}', 'holder'])).stdout) as Array<Record<string, unknown>>;
  assert.deepEqual(mounts, [
    { Type: 'volume', Name: 'keep', Source: join(d.dataRoot, 'volumes/keep/_data'), Destination: '/data', Driver: 'local', Mode: 'z', RW: true, Propagation: '' },
  ]);
  ok(await d.docker(['rm', '-v', 'holder']));
  assert.equal((await d.berth(['volume', 'ls', '-q'])).stdout, 'keep\n', 'rm -v keeps named volumes');
  ok(await d.berth(['volume', 'rm', 'keep']));
});

test('a new volume is filled from the image content at its path, once', async () => {
  const r = await d.docker(['run', '--rm', '-v', 'etc-copy:/etc', 'busybox', 'sh', '-c', 'grep -c berth /etc/passwd; echo extra > /etc/added']);
  ok(r);
  assert.equal(r.stdout, '1\n');
  const data = join(d.dataRoot, 'volumes/etc-copy/_data');
  assert.match(await readFile(join(data, 'passwd'), 'utf8'), /^root:/);
  const again = await d.berth(['run', '--rm', '-v', 'etc-copy:/other', 'busybox', 'ls', '/other']);
  assert.match(again.stdout, /added/);
  assert.match(again.stdout, /group/);
  // nocopy leaves a new volume empty.
  const nocopy = await d.berth(['run', '--rm', '--mount', 'type=volume,source=etc-empty,target=/etc,volume-nocopy', 'busybox', 'ls', '/bin/../etc']);
  assert.equal(nocopy.stdout, '');
  // Docker copies at create, once: a created (never started) container already filled its volume.
  const cid = (await d.docker(['create', '-v', 'etc-created:/etc', 'busybox'])).stdout.trim();
  assert.match(await readFile(join(d.dataRoot, 'volumes/etc-created/_data/group'), 'utf8'), /^root:/m);
  ok(await d.berth(['rm', cid]));
  ok(await d.berth(['volume', 'rm', 'etc-copy', 'etc-empty', 'etc-created']));
});

test('anonymous volumes: -v /path, rm -v removes them, prune removes only anonymous unused ones', async () => {
  const id = (await d.berth(['create', '-v', '/scratch', 'busybox', 'true'])).stdout.trim();
  const name = (await d.berth(['inspect', '-f', '{{range .Mounts}}{{.Name}}{{end}}', id])).stdout.trim();
  assert.match(name, /^[a-f0-9]{64}$/);
  ok(await d.berth(['rm', id]));
  assert.equal((await d.berth(['volume', 'ls', '-q'])).stdout, `${name}\n`, 'rm without -v keeps the anonymous volume');
  ok(await d.berth(['volume', 'create', 'named-one']));
  const id2 = (await d.docker(['create', '-v', '/scratch', 'busybox', 'true'])).stdout.trim();
  const name2 = (await d.berth(['inspect', '-f', '{{range .Mounts}}{{.Name}}{{end}}', id2])).stdout.trim();
  const pr = await d.docker(['volume', 'prune', '-f']);
  ok(pr);
  assert.match(pr.stdout, new RegExp(`Deleted Volumes:\\n${name}\\n`));
  const left = (await d.berth(['volume', 'ls', '-q'])).stdout.split('\n').filter(Boolean).sort();
  assert.deepEqual(left, [name2, 'named-one'].sort(), 'in-use and named volumes stay');
  ok(await d.docker(['rm', '-v', id2]));
  assert.equal((await d.berth(['volume', 'ls', '-q'])).stdout, 'named-one\n', 'rm -v removes the anonymous volume');
  const all = await d.berth(['volume', 'prune', '-a', '-f']);
  ok(all);
  assert.match(all.stdout, /Deleted Volumes:\nnamed-one\n/);
  // --rm removes the anonymous volumes too.
  ok(await d.docker(['run', '--rm', '-v', '/tmpdata', 'busybox', 'true']));
  assert.equal((await d.berth(['volume', 'ls', '-q'])).stdout, '');
});

test('bind mounts: ro is read-only, -v creates a missing host dir, --mount requires it', async () => {
  const host = join(d.dir, 'bind-src');
  await mkdir(host);
  await writeFile(join(host, 'in.txt'), 'from host\n');
  const r = await d.docker(['run', '--rm', '-v', `${host}:/h`, 'busybox', 'sh', '-c', 'cat /h/in.txt; echo back > /h/out.txt']);
  ok(r);
  assert.equal(r.stdout, 'from host\n');
  assert.equal(await readFile(join(host, 'out.txt'), 'utf8'), 'back\n');
  const ro = await d.berth(['run', '--rm', '--mount', `type=bind,source=${host},target=/h,readonly`, 'busybox', 'sh', '-c', 'touch /h/x']);
  assert.notEqual(ro.code, 0);
  assert.match(ro.stderr + ro.stdout, /Read-only file system/);
  const created = join(d.dir, 'made-by-v');
  ok(await d.berth(['run', '--rm', '-v', `${created}:/m`, 'busybox', 'true']));
  assert.ok(existsSync(created));
  const missing = await d.docker(['run', '--rm', '--mount', `type=bind,source=${join(d.dir, 'absent')},target=/m`, 'busybox', 'true']);
  assert.equal(missing.code, 125);
  assert.match(missing.stderr, /bind source path does not exist/);
  const mounts = JSON.parse((await d.berth(['inspect', '-f', '{{json .Mounts}}', (await d.berth(['create', '-v', `${host}:/h:ro`, 'busybox'])).stdout.trim()])).stdout) as unknown;
  assert.deepEqual(mounts, [{ Type: 'bind', Source: host, Destination: '/h', Mode: 'ro', RW: false, Propagation: 'rprivate' }]);
});

test('tmpfs mounts and --volumes-from', async () => {
  const t = await d.docker(['run', '--rm', '--tmpfs', '/scratch:size=1m', '--mount', 'type=tmpfs,target=/t2', 'busybox', 'sh', '-c', 'grep -E " /(scratch|t2) " /proc/mounts']);
  ok(t);
  assert.match(t.stdout, /^tmpfs \/scratch tmpfs rw,nosuid,nodev,noexec,relatime,size=1024k/m);
  assert.match(t.stdout, /^tmpfs \/t2 tmpfs /m);
  ok(await d.berth(['create', '--name', 'src-c', '-v', 'shared:/shared', '-v', '/anon', 'busybox', 'true']));
  ok(await d.berth(['run', '--rm', '-v', 'shared:/s', 'busybox', 'sh', '-c', 'echo via-shared > /s/f']));
  const r = await d.docker(['run', '--rm', '--volumes-from', 'src-c:ro', 'busybox', 'sh', '-c', 'cat /shared/f; ls -d /anon; touch /shared/x']);
  assert.match(r.stdout, /via-shared\n\/anon\n/);
  assert.match(r.stderr, /Read-only file system/);
  ok(await d.berth(['rm', '-v', 'src-c']));
  ok(await d.berth(['volume', 'rm', 'shared']));
  assert.equal((await d.berth(['volume', 'ls', '-q'])).stdout, '');
});

test('nested mounts land parent first; --read-only works with --tmpfs and volumes; volume events', async () => {
  const since = Math.floor(Date.now() / 1000) - 1;
  const r = await d.docker(['run', '--rm', '--read-only', '--tmpfs', '/run', '-v', 'inner:/data/inner', '-v', 'outer:/data', 'busybox', 'sh', '-c',
    'echo a > /data/inner/f && echo b > /data/g && echo c > /run/x && cat /data/inner/f /data/g /run/x; touch /etc/nope']);
  assert.equal(r.stdout, 'a\nb\nc\n');
  assert.match(r.stderr, /Read-only file system/);
  ok(await d.berth(['volume', 'rm', 'inner', 'outer']));
  const until = Math.floor(Date.now() / 1000) + 1;
  const ev = await d.docker(['events', '--since', String(since), '--until', String(until), '--filter', 'type=volume', '--format', '{{.Action}} {{.Actor.ID}}']);
  ok(ev);
  // The window may hold the previous test's events too: keep this test's volumes.
  const lines = ev.stdout.split('\n').filter((l) => / (inner|outer)$/.test(l)).sort();
  assert.deepEqual(lines, ['create inner', 'create outer', 'destroy inner', 'destroy outer', 'mount inner', 'mount outer', 'unmount inner', 'unmount outer']);
});
