import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestDaemon } from './helpers/daemon.js';
import { startRegistry } from './remotes-helpers.js';

/**
 * Bugs users met with the docker CLI (issue 14): cp through the container's own mounts
 * (/etc/hostname, /etc/hosts, /etc/resolv.conf, nested binds), a resolver for a bridge container
 * connected to a user network, the digests `docker images REPO` shows, a pull the registry refuses.
 */
let d: TestDaemon;
let local: string;
// No stored logins, for berthd and the CLI alike: an anonymous pull must meet the registry's refusal.
let emptyConfig: string;
const oldConfig = process.env['DOCKER_CONFIG'];
before(async () => {
  emptyConfig = await mkdtemp(join(tmpdir(), 'berth-user-bugs-cfg-'));
  process.env['DOCKER_CONFIG'] = emptyConfig;
  d = await TestDaemon.start();
  await d.makeBusyboxImage();
  local = join(d.dir, 'local');
  await mkdir(local);
});
after(async () => {
  await d?.cleanup();
  if (oldConfig === undefined) delete process.env['DOCKER_CONFIG'];
  else process.env['DOCKER_CONFIG'] = oldConfig;
  await rm(emptyConfig, { recursive: true, force: true });
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

test('docker images --digests REPO and --format {{.Digest}} show the digests of REPO only, a digest-only pull as a <none> tag', async (t) => {
  const reg = await startRegistry();
  t.after(() => reg.stop());
  const repo = `${reg.host}/dig/bb`;
  const other = `${reg.host}/dig/other`;
  for (const name of [repo, other]) {
    assert.equal((await d.docker(['tag', 'busybox', `${name}:1`])).code, 0);
    const push = await d.docker(['push', `${name}:1`]);
    assert.equal(push.code, 0, push.stderr);
    assert.equal((await d.docker(['rmi', `${name}:1`])).code, 0);
  }
  // `other` pulled by tag and by digest; `repo` by digest only.
  assert.equal((await d.docker(['pull', `${other}:1`])).code, 0);
  const digest = /sha256:[0-9a-f]{64}/.exec((await d.docker(['image', 'inspect', '--format', '{{json .RepoDigests}}', `${other}:1`])).stdout)?.[0] ?? '';
  assert.ok(digest);
  for (const ref of [`${other}@${digest}`, `${repo}@${digest}`]) {
    const r = await d.docker(['pull', ref]);
    assert.equal(r.code, 0, r.stderr);
  }

  const rows = async (name: string): Promise<string> => (await d.docker(['images', '--digests', '--format', '{{.Repository}} {{.Tag}} {{.Digest}}', name])).stdout;
  // The other repository's digest of the same image is no row of its own here.
  assert.equal(await rows(other), `${other} 1 ${digest}\n`);
  const table = await d.docker(['images', '--digests', other]);
  assert.match(table.stdout, new RegExp(`^${other.replace(/\./g, '\\.')}\\s+1\\s+${digest}\\s`, 'm'));
  assert.equal(table.stdout.trim().split('\n').length, 2, table.stdout);
  assert.equal((await d.docker(['images', '--format', '{{.Digest}}', other])).stdout, `${digest}\n`);
  // As dockerd: the digest-only reference is listed for its repository, with the tag <none>.
  assert.equal(await rows(repo), `${repo} <none> ${digest}\n`);

  // rmi of a digest reference removes that reference only: the image keeps its tags.
  const rmDigest = await d.docker(['rmi', `${repo}@${digest}`]);
  assert.equal(rmDigest.code, 0, rmDigest.stderr);
  assert.equal(rmDigest.stdout, `Untagged: ${repo}@${digest}\n`);
  assert.equal(await rows(repo), '');
  assert.equal((await d.docker(['image', 'inspect', '--format', '{{json .RepoTags}}', 'busybox'])).stdout, `["busybox:latest","${other}:1"]\n`);
  // The last tag of a repository takes that repository's digests along, as in dockerd.
  const rmTag = await d.docker(['rmi', `${other}:1`]);
  assert.equal(rmTag.stdout, `Untagged: ${other}:1\nUntagged: ${other}@${digest}\n`);
  assert.equal((await d.docker(['image', 'inspect', '--format', '{{json .RepoTags}} {{json .RepoDigests}}', 'busybox'])).stdout, '["busybox:latest"] []\n');
});

test('docker pull from a registry that refuses anonymous access prints the refusal and exits non-zero, without asking for a username', async (t) => {
  const reg = await startRegistry({ htpasswd: 'alice:$2b$04$5G4DCDhJO4GVVIftDblwyeFkZoR/6Sx7A1y6ptEx2B/h48fsIfexm\n' });
  t.after(() => reg.stop());
  const name = `${reg.host}/private/bb:1`;
  const started = Date.now();
  // stdin is a closed pipe, no terminal: a CLI that prompts would wait there until the timeout.
  const r = await d.docker(['pull', name], { timeoutMs: 20_000 });
  assert.ok(Date.now() - started < 15_000, 'the CLI did not hang');
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.doesNotMatch(r.stdout, /Username/);
  // The request berth made is the one named (it asks for a manifest with GET where dockerd may use HEAD).
  assert.match(r.stderr, new RegExp(`^Error response from daemon: (Get|Head) "${reg.url.replace(/\./g, '\\.')}/v2/private/bb/manifests/1": no basic auth credentials\n$`));
  // `docker run` pulls the same way when the image is missing.
  const run = await d.docker(['run', '--rm', name], { timeoutMs: 20_000 });
  assert.equal(run.code, 125, run.stdout + run.stderr);
  assert.match(run.stderr, /no basic auth credentials/);
  assert.doesNotMatch(run.stdout, /Username/);
});
