import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, readFile, readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { TestDaemon } from './helpers/daemon.js';

/**
 * Bugs users met with the docker CLI (issue 14): cp through the container's own mounts
 * (/etc/hostname, /etc/hosts, /etc/resolv.conf, nested binds), a resolver for a bridge container
 * connected to a user network.
 */
let d: TestDaemon;
let local: string;
before(async () => {
  d = await TestDaemon.start();
  await d.makeBusyboxImage();
  local = join(d.dir, 'local');
  await mkdir(local);
});
after(async () => {
  await d?.cleanup();
});

async function fsMounts(): Promise<string[]> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  return info.split('\n').filter((l) => l.includes(`${d.dataRoot}/tmp/fs-`));
}

async function exec(c: string, cmd: string): Promise<string> {
  const r = await d.docker(['exec', c, 'sh', '-c', cmd]);
  assert.equal(r.code, 0, r.stderr);
  return r.stdout;
}

test('docker cp reads /etc/hostname, /etc/hosts and /etc/resolv.conf as the container sees them, running and stopped, and writes /etc/hosts in place', async () => {
  const run = await d.docker(['run', '-d', '--name', 'etcs', '--hostname', 'cp-host', '--add-host', 'extra.example:10.1.2.3', 'busybox', 'sleep', '1000']);
  assert.equal(run.code, 0, run.stderr);
  const want: Record<string, string> = {};
  for (const f of ['hostname', 'hosts', 'resolv.conf']) want[f] = await exec('etcs', `cat /etc/${f}`);
  assert.equal(want['hostname'], 'cp-host\n');
  assert.match(want['hosts'] ?? '', /extra\.example/);

  const check = async (tag: string): Promise<void> => {
    const out = join(d.dir, `etc-${tag}`);
    await mkdir(out);
    for (const f of ['hostname', 'hosts', 'resolv.conf']) {
      const r = await d.docker(['cp', `etcs:/etc/${f}`, `${out}/`]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(await readFile(join(out, f), 'utf8'), want[f], `${tag} /etc/${f}`);
    }
    // The whole directory shows the mounted files too.
    const r = await d.docker(['cp', 'etcs:/etc', join(out, 'etc')]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await readFile(join(out, 'etc', 'hostname'), 'utf8'), want['hostname'], `${tag} /etc as a directory`);
    assert.equal(await readFile(join(out, 'etc', 'hosts'), 'utf8'), want['hosts']);
  };
  await check('running');

  // Into /etc/hosts: the container's own file takes it (the bind mount keeps its inode).
  await writeFile(join(local, 'hosts'), '127.0.0.1\tlocalhost\n10.9.9.9\tadded-by-cp\n');
  const put = await d.docker(['cp', join(local, 'hosts'), 'etcs:/etc/hosts']);
  assert.equal(put.code, 0, put.stderr);
  assert.match(await exec('etcs', 'cat /etc/hosts'), /added-by-cp/);
  want['hosts'] = await exec('etcs', 'cat /etc/hosts');
  // The image's rootfs underneath stays as it was.
  assert.equal((await d.docker(['diff', 'etcs'])).stdout.includes('/etc/hosts'), false);

  assert.equal((await d.docker(['stop', '-t', '0', 'etcs'])).code, 0);
  await check('stopped');
  assert.deepEqual(await fsMounts(), [], 'no view mount left behind');
  await d.docker(['rm', '-f', 'etcs']);
});

test('docker cp goes through binds nested in volumes and in other binds, both ways', async () => {
  const outer = join(d.dir, 'outer');
  const inner = join(d.dir, 'inner');
  await mkdir(outer);
  await mkdir(inner);
  await writeFile(join(inner, 'deep'), 'deep file\n');
  await writeFile(join(outer, 'top'), 'top file\n');
  const run = await d.docker(['run', '-d', '--name', 'nest', '-v', 'nestvol:/data', '-v', `${inner}:/data/in`, '-v', `${outer}:/mnt/o`, '-v', `${inner}:/mnt/o/in`, 'busybox', 'sleep', '1000']);
  assert.equal(run.code, 0, run.stderr);
  const out = join(d.dir, 'nest-out');
  await mkdir(out);
  for (const [src, name] of [['/data/in/deep', 'a'], ['/mnt/o/in/deep', 'b']]) {
    const r = await d.docker(['cp', `nest:${src as string}`, join(out, name as string)]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(await readFile(join(out, name as string), 'utf8'), 'deep file\n');
  }
  const tree = await d.docker(['cp', 'nest:/mnt/o', join(out, 'o')]);
  assert.equal(tree.code, 0, tree.stderr);
  assert.deepEqual((await readdir(join(out, 'o'))).sort(), ['in', 'top']);
  assert.equal(await readFile(join(out, 'o', 'in', 'deep'), 'utf8'), 'deep file\n');

  await writeFile(join(local, 'up'), 'uploaded\n');
  assert.equal((await d.docker(['cp', join(local, 'up'), 'nest:/data/in/'])).code, 0);
  assert.equal(await readFile(join(inner, 'up'), 'utf8'), 'uploaded\n');
  assert.equal(await exec('nest', 'cat /mnt/o/in/up'), 'uploaded\n');
  assert.deepEqual(await fsMounts(), []);
  await d.docker(['rm', '-f', '-v', 'nest']);
  await d.docker(['volume', 'rm', 'nestvol']);
});

const HTTPD = ['sh', '-c', 'mkdir -p /www && echo hello-from-$(hostname) > /www/index.html && exec httpd -f -p 80 -h /www'];

test('a bridge container connected to a user network resolves its containers by name, and stops on disconnect', async () => {
  assert.equal((await d.docker(['network', 'create', 'n1'])).code, 0);
  const gw = (JSON.parse((await d.docker(['network', 'inspect', 'n1'])).stdout) as { IPAM: { Config: { Gateway: string }[] } }[])[0]?.IPAM.Config[0]?.Gateway;
  assert.ok(gw);
  assert.equal((await d.docker(['run', '-d', '--name', 'c1', '--hostname', 'c1', '--network', 'n1', 'busybox', ...HTTPD])).code, 0);
  assert.equal((await d.docker(['run', '-d', '--name', 'c2', '--network', 'n1', 'busybox', 'sleep', '300'])).code, 0);
  assert.equal((await d.docker(['run', '-d', '--name', 'c3', 'busybox', 'sleep', '300'])).code, 0);
  const hostResolv = await exec('c3', 'cat /etc/resolv.conf');
  assert.equal(hostResolv.includes(`nameserver ${gw}`), false);
  assert.equal(await exec('c2', 'wget -qO- http://c1/'), 'hello-from-c1\n');
  assert.notEqual((await d.docker(['exec', 'c3', 'wget', '-qO-', 'http://c1/'])).code, 0, 'not on n1 yet');

  const con = await d.docker(['network', 'connect', 'n1', 'c3']);
  assert.equal(con.code, 0, con.stderr);
  assert.match(await exec('c3', 'cat /etc/resolv.conf'), new RegExp(`^nameserver ${gw.replace(/\./g, '\\.')}$`, 'm'));
  assert.equal(await exec('c3', 'wget -qO- http://c1/'), 'hello-from-c1\n');
  assert.match(await exec('c3', 'nslookup c2'), /Name:\s+c2/);

  assert.equal((await d.docker(['network', 'disconnect', 'n1', 'c3'])).code, 0);
  assert.equal(await exec('c3', 'cat /etc/resolv.conf'), hostResolv, "the host's resolvers again");
  const gone = await d.docker(['exec', 'c3', 'nslookup', 'c1']);
  assert.notEqual(gone.code, 0, gone.stdout);
  await d.docker(['rm', '-f', 'c1', 'c2', 'c3']);
  assert.equal((await d.docker(['network', 'rm', 'n1'])).code, 0);
});
