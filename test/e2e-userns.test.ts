import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmod, mkdir, readFile, readdir, readlink, rename, stat, writeFile, appendFile } from 'node:fs/promises';
import { join } from 'node:path';
import { BERTHD, TestDaemon } from './helpers/daemon.js';
import { lsetxattr } from '../src/sys/index.js';

/**
 * berthd --userns-remap UID:GID with ranges this file adds to /etc/subuid and /etc/subgid (and
 * removes after): the uid is numeric and has no passwd entry, and both it and the range are picked
 * from this process's pid, so test files running side by side do not collide.
 */
const UID = 3_900_000 + (process.pid % 50_000);
const BASE = 300_000_000 + (process.pid % 20_000) * 65_536;
const SIZE = 65_536;
const LINE = `${UID}:${BASE}:${SIZE}`;

async function removeLine(file: string, line: string): Promise<void> {
  const text = await readFile(file, 'utf8');
  const kept = text.split('\n').filter((l) => l !== line);
  const tmp = `${file}.berth-test-${process.pid}`;
  await writeFile(tmp, kept.join('\n'), { mode: 0o644 });
  await rename(tmp, file);
}

let d: TestDaemon;
before(async () => {
  for (const f of ['/etc/subuid', '/etc/subgid']) await appendFile(f, `${LINE}\n`);
  d = await TestDaemon.start({ args: ['--userns-remap', `${UID}:${UID}`] });
  await d.makeBusyboxImage();
});
after(async () => {
  try {
    await d?.cleanup();
  } finally {
    for (const f of ['/etc/subuid', '/etc/subgid']) await removeLine(f, LINE);
  }
});

async function ok(args: string[]): Promise<string> {
  const r = await d.docker(args);
  assert.equal(r.code, 0, `docker ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
}

async function hostUid(container: string): Promise<{ uid: number; gid: number }> {
  const pid = (await ok(['inspect', '-f', '{{.State.Pid}}', container])).trim();
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return { uid: Number(/^Uid:\s+(\d+)/m.exec(status)?.[1]), gid: Number(/^Gid:\s+(\d+)/m.exec(status)?.[1]) };
}

/** The owners of a tar's entries by name (`docker cp … -`, `docker export`). */
async function tarOwners(args: string[]): Promise<Map<string, string>> {
  const tar = await new Promise<Buffer>((res, rej) => {
    const p = spawn('docker', args, { env: d.env, stdio: ['ignore', 'pipe', 'inherit'] });
    const chunks: Buffer[] = [];
    p.stdout.on('data', (c: Buffer) => chunks.push(c));
    p.on('error', rej);
    p.on('close', (code) => (code === 0 ? res(Buffer.concat(chunks)) : rej(new Error(`docker ${args.join(' ')} exited ${code}`))));
  });
  const list = await d.run('tar', ['--numeric-owner', '-tvf', '-'], { input: tar });
  assert.equal(list.code, 0, list.stderr);
  const out = new Map<string, string>();
  for (const l of list.stdout.trim().split('\n')) {
    const f = l.split(/\s+/);
    out.set((f[5] ?? '').replace(/\/$/, ''), f[1] ?? '');
  }
  return out;
}

test('inside the container root is uid 0; the host sees the remapped uid; uid_map shows the mapping', async () => {
  await ok(['run', '-d', '--name', 'u1', 'busybox', 'sleep', '300']);
  assert.deepEqual(await hostUid('u1'), { uid: BASE, gid: BASE });
  assert.equal((await ok(['exec', 'u1', 'id', '-u'])).trim(), '0');
  assert.equal((await ok(['exec', 'u1', 'id', '-g'])).trim(), '0');
  assert.deepEqual((await ok(['exec', 'u1', 'cat', '/proc/self/uid_map'])).trim().split(/\s+/), ['0', String(BASE), String(SIZE)]);
  assert.deepEqual((await ok(['exec', 'u1', 'cat', '/proc/self/gid_map'])).trim().split(/\s+/), ['0', String(BASE), String(SIZE)]);
  const info = JSON.parse(await ok(['info', '-f', '{{json .SecurityOptions}}'])) as string[];
  assert.ok(info.includes('name=userns'), JSON.stringify(info));
  assert.equal((await ok(['inspect', '-f', '{{.HostConfig.UsernsMode}}', 'u1'])).trim(), '');
  // The container's own files belong to its root, so they show as root's inside (not nobody's).
  assert.deepEqual((await ok(['exec', 'u1', 'stat', '-c', '%u:%g', '/etc/hostname', '/etc/hosts', '/etc/resolv.conf', '/dev/shm', '/'])).trim().split('\n'), [
    '0:0',
    '0:0',
    '0:0',
    '0:0',
    '0:0',
  ]);
  await ok(['rm', '-f', 'u1']);
});

test("image files owned by root show as root's inside; on the host the shifted copy is owned by the remapped root", async () => {
  assert.equal((await ok(['run', '--rm', 'busybox', 'stat', '-c', '%u:%g', '/bin/busybox'])).trim(), '0:0');
  const ls = (await ok(['run', '--rm', 'busybox', 'ls', '-ln', '/'])).trim().split('\n');
  for (const name of ['bin', 'etc', 'home', 'root', 'tmp']) {
    const row = ls.find((l) => l.endsWith(` ${name}`));
    assert.ok(row, `${name} in ${ls.join('\n')}`);
    assert.deepEqual(row.split(/\s+/).slice(2, 4), ['0', '0'], row);
  }
  const area = join(d.dataRoot, `${BASE}.${BASE}`, 'layers');
  const layers = await readdir(area);
  assert.equal(layers.length, 1);
  const st = await stat(join(area, layers[0] as string, 'diff', 'bin', 'busybox'));
  assert.deepEqual([st.uid, st.gid], [BASE, BASE]);
  // The host's own copy is untouched.
  const host = await readdir(join(d.dataRoot, 'layers'));
  assert.equal((await stat(join(d.dataRoot, 'layers', host[0] as string, 'diff', 'bin', 'busybox'))).uid, 0);
});

test('other owners and setuid bits survive the shift', async () => {
  await ok(['run', '--userns=host', '--name', 'mk', 'busybox', 'sh', '-c', 'touch /f1000 && chown 1000:1000 /f1000 && chmod 4755 /f1000']);
  await ok(['commit', 'mk', 'owned:1']);
  await ok(['rm', 'mk']);
  assert.equal((await ok(['run', '--rm', 'owned:1', 'stat', '-c', '%u:%g %a', '/f1000'])).trim(), '1000:1000 4755');
  await ok(['rmi', 'owned:1']);
});

test('file capabilities of image files take effect for the remapped root', async () => {
  await ok(['run', '--userns=host', '--name', 'capmk', 'busybox', 'sh', '-c', 'mkdir /capd && cp /bin/busybox /capd/grep']);
  const upper = (await ok(['inspect', '-f', '{{.GraphDriver.Data.UpperDir}}', 'capmk'])).trim();
  // cap_net_raw+ep as the host's root writes it (revision 2, no namespace root).
  const v2 = Buffer.alloc(20);
  v2.writeUInt32LE(0x02000001, 0);
  v2.writeUInt32LE(1 << 13, 4);
  lsetxattr(join(upper, 'capd', 'grep'), 'security.capability', v2);
  await ok(['commit', 'capmk', 'caps:1']);
  await ok(['rm', 'capmk']);
  const eff = (await ok(['run', '--rm', '-u', '1000', 'caps:1', '/capd/grep', 'CapEff', '/proc/self/status'])).trim();
  assert.equal(eff.split(/\s+/)[1], '0000000000002000');
  await ok(['rmi', 'caps:1']);
});

test('files written to a bind mount and a named volume belong to the remapped root on the host', async () => {
  const dir = join(d.dir, 'bind');
  await mkdir(dir);
  await chmod(dir, 0o777);
  await ok(['run', '--rm', '-v', `${dir}:/b`, '-v', 'uvol:/v', 'busybox', 'sh', '-c', 'echo x > /b/f && echo y > /v/g && stat -c %u /v']);
  const f = await stat(join(dir, 'f'));
  assert.deepEqual([f.uid, f.gid], [BASE, BASE]);
  const data = join(d.dataRoot, 'volumes', 'uvol', '_data');
  assert.deepEqual([(await stat(data)).uid, (await stat(join(data, 'g'))).uid], [BASE, BASE]);
  await ok(['volume', 'rm', 'uvol']);
});

test('cp, export and commit carry the ids seen inside; cp into the container shifts them', async () => {
  await ok(['run', '-d', '--name', 'fs1', 'busybox', 'sh', '-c', 'mkdir /made && echo a > /made/file && sleep 300']);
  await ok(['exec', 'fs1', 'test', '-f', '/made/file']);
  const cp = await tarOwners(['cp', 'fs1:/made', '-']);
  assert.equal(cp.get('made'), '0/0');
  assert.equal(cp.get('made/file'), '0/0');
  const exported = await tarOwners(['export', 'fs1']);
  assert.equal(exported.get('bin/busybox'), '0/0');
  assert.equal(exported.get('made/file'), '0/0');

  const src = join(d.dir, 'in.txt');
  await writeFile(src, 'in\n');
  await ok(['cp', src, 'fs1:/in.txt']);
  assert.equal((await ok(['exec', 'fs1', 'stat', '-c', '%u:%g', '/in.txt'])).trim(), '0:0');
  const upper = (await ok(['inspect', '-f', '{{.GraphDriver.Data.UpperDir}}', 'fs1'])).trim();
  assert.ok(upper.startsWith(join(d.dataRoot, `${BASE}.${BASE}`)), upper);
  assert.equal((await stat(join(upper, 'in.txt'))).uid, BASE);

  assert.deepEqual((await ok(['diff', 'fs1'])).trim().split('\n').sort(), ['A /in.txt', 'A /made', 'A /made/file']);
  await ok(['commit', 'fs1', 'committed:1']);
  // Run it with the host's ids: the layer holds 0, not the shifted ids.
  assert.equal((await ok(['run', '--rm', '--userns=host', 'committed:1', 'stat', '-c', '%u', '/made/file', '/in.txt'])).trim(), '0\n0');
  await ok(['rm', '-f', 'fs1']);
  await ok(['rmi', 'committed:1']);
});

test('--userns=host runs with the host ids from the unshifted storage', async () => {
  await ok(['run', '-d', '--userns=host', '--name', 'h1', 'busybox', 'sleep', '300']);
  assert.deepEqual(await hostUid('h1'), { uid: 0, gid: 0 });
  assert.deepEqual((await ok(['exec', 'h1', 'cat', '/proc/self/uid_map'])).trim().split(/\s+/), ['0', '0', '4294967295']);
  assert.equal((await ok(['inspect', '-f', '{{.HostConfig.UsernsMode}}', 'h1'])).trim(), 'host');
  const upper = (await ok(['inspect', '-f', '{{.GraphDriver.Data.UpperDir}}', 'h1'])).trim();
  assert.equal(upper, join(d.dataRoot, 'containers', (await ok(['inspect', '-f', '{{.Id}}', 'h1'])).trim(), 'upper'));
  await ok(['rm', '-f', 'h1']);
});

test("--privileged, --network host and --pid host need --userns=host, with Docker's errors", async () => {
  const priv = await d.docker(['run', '--rm', '--privileged', 'busybox', 'true']);
  assert.equal(priv.code, 125);
  assert.match(priv.stderr, /privileged mode is incompatible with user namespaces\. {2}You must run the container in the host namespace when running privileged mode/);
  const net = await d.docker(['run', '--rm', '--network', 'host', 'busybox', 'true']);
  assert.equal(net.code, 125);
  assert.match(net.stderr, /cannot share the host's network namespace when user namespaces are enabled/);
  assert.equal((await ok(['run', '--rm', '--privileged', '--userns=host', 'busybox', 'id', '-u'])).trim(), '0');
  // The berth CLI speaks the same flag.
  const b = await d.berth(['run', '--rm', '--userns', 'host', 'busybox', 'cat', '/proc/self/uid_map']);
  assert.equal(b.code, 0, b.stderr);
  assert.deepEqual(b.stdout.trim().split(/\s+/), ['0', '0', '4294967295']);
  // --pid host too, as dockerd refuses it; with --userns host the container sees the host's pid 1.
  const pid = await d.berth(['run', '--rm', '--pid', 'host', 'busybox', 'true']);
  assert.equal(pid.code, 125);
  assert.match(pid.stderr, /cannot share the host PID namespace when user namespaces are enabled/);
  const hostPid = await d.docker(['run', '--rm', '--pid', 'host', '--userns', 'host', 'busybox', 'cat', '/proc/1/comm']);
  assert.equal(hostPid.code, 0, hostPid.stderr);
  assert.equal(hostPid.stdout.trim(), (await readFile('/proc/1/comm', 'utf8')).trim());
});

test('--pid and --ipc container:NAME join a remapped container\'s namespaces', async () => {
  await ok(['run', '-d', '--name', 'ns-a', '--ipc', 'shareable', 'busybox', 'sh', '-c', 'echo a > /dev/shm/n; sleep 300']);
  try {
    const r = await d.docker(['run', '--rm', '--pid', 'container:ns-a', '--ipc', 'container:ns-a', 'busybox', 'sh', '-c', 'cat /proc/1/comm /dev/shm/n; id -u; readlink /proc/self/ns/user']);
    assert.equal(r.code, 0, r.stderr);
    const pid = (await ok(['inspect', '-f', '{{.State.Pid}}', 'ns-a'])).trim();
    assert.deepEqual(r.stdout.trim().split('\n'), ['sleep', 'a', '0', await readlink(`/proc/${pid}/ns/user`)], 'the donor\'s user namespace, as dockerd joins it');
  } finally {
    await d.docker(['rm', '-f', 'ns-a']);
  }
  // A start that fails before runc runs (the target is not running) fails at once and leaves nothing mounted.
  await ok(['create', '--name', 'ns-stopped', 'busybox', 'true']);
  const stopped = await d.docker(['run', '--rm', '--pid', 'container:ns-stopped', 'busybox', 'true'], { timeoutMs: 20_000 });
  assert.notEqual(stopped.code, 0);
  assert.match(stopped.stderr, /is not running/);
  await ok(['rm', 'ns-stopped']);
});

test('logs, stop and kill work in the user namespace', async () => {
  await ok(['run', '-d', '--name', 'l1', 'busybox', 'sh', '-c', 'trap "echo bye; exit 3" TERM; echo hello; while true; do sleep 0.1; done']);
  await ok(['exec', 'l1', 'true']);
  await ok(['stop', '-t', '10', 'l1']);
  assert.equal((await ok(['logs', 'l1'])).trim(), 'hello\nbye');
  assert.equal((await ok(['inspect', '-f', '{{.State.ExitCode}}', 'l1'])).trim(), '3');
  await ok(['start', 'l1']);
  await ok(['kill', 'l1']);
  assert.equal((await ok(['wait', 'l1'])).trim(), '137');
  await ok(['rm', 'l1']);
});

test('a remapped container outlives berthd and keeps its storage after the restart', async () => {
  await ok(['run', '-d', '--name', 'r1', 'busybox', 'sh', '-c', 'echo kept > /kept && sleep 300']);
  await ok(['exec', 'r1', 'test', '-f', '/kept']);
  await d.crash();
  await d.spawn();
  assert.equal((await ok(['inspect', '-f', '{{.State.Status}}', 'r1'])).trim(), 'running');
  assert.equal((await ok(['exec', 'r1', 'cat', '/kept'])).trim(), 'kept');
  assert.deepEqual(await hostUid('r1'), { uid: BASE, gid: BASE });
  await ok(['stop', '-t', '1', 'r1']);
  await ok(['start', 'r1']);
  assert.equal((await ok(['exec', 'r1', 'stat', '-c', '%u %n', '/kept'])).trim(), '0 /kept');
  await ok(['rm', '-f', 'r1']);
});

test('the copy driver keeps a shifted full copy per mapping too', async () => {
  const other = await TestDaemon.start({ driver: 'copy', args: ['--userns-remap', `${UID}:${UID}`] });
  try {
    await other.makeBusyboxImage();
    const r = await other.docker(['run', '--name', 'cp1', 'busybox', 'sh', '-c', 'stat -c %u:%g /bin/busybox /; touch /new']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split('\n'), ['0:0', '0:0']);
    const diff = await other.docker(['diff', 'cp1']);
    assert.equal(diff.stdout.trim(), 'A /new');
    const id = (await other.docker(['inspect', '-f', '{{.Id}}', 'cp1'])).stdout.trim();
    const upper = join(other.dataRoot, `${BASE}.${BASE}`, 'containers', id, 'upper');
    assert.deepEqual([(await stat(join(upper, 'new'))).uid, (await stat(join(upper, 'bin', 'busybox'))).uid], [BASE, BASE]);
  } finally {
    await other.cleanup();
  }
});

test('a remap user without subordinate ranges is a clear start-up error', async () => {
  const args = ['-H', `unix://${join(d.dir, 'other.sock')}`, '--data-root', join(d.dir, 'other'), '--exec-root', join(d.dir, 'other-run'), '--userns-remap', `${UID + 1}`];
  const r = await d.run(BERTHD, args, { timeoutMs: 30_000 });
  assert.notEqual(r.code, 0);
  assert.match(r.stderr, new RegExp(`berthd: cannot set up user namespace remapping: no subordinate ranges for "${UID + 1}" in /etc/subuid`));
});

test('--userns-remap default creates the user dockremap and its ranges when missing, as Docker does', async () => {
  const had = (await d.run('getent', ['passwd', 'dockremap'])).code === 0;
  const before = { uid: await readFile('/etc/subuid', 'utf8'), gid: await readFile('/etc/subgid', 'utf8') };
  let other: TestDaemon | undefined;
  try {
    other = await TestDaemon.start({ args: ['--userns-remap', 'default'] });
    assert.equal((await other.run('getent', ['passwd', 'dockremap'])).code, 0);
    const range = (await readFile('/etc/subuid', 'utf8')).split('\n').find((l) => l.startsWith('dockremap:'));
    assert.ok(range, 'a dockremap line in /etc/subuid');
    assert.ok((await readFile('/etc/subgid', 'utf8')).split('\n').includes(range), 'the same range in /etc/subgid');
    const [, start, size] = range.split(':');
    await other.makeBusyboxImage();
    const r = await other.docker(['run', '--rm', 'busybox', 'cat', '/proc/self/uid_map']);
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split(/\s+/), ['0', start, size]);
  } finally {
    await other?.cleanup();
    // Leave the host as it was: only what this test added goes.
    for (const [file, text] of [['/etc/subuid', before.uid], ['/etc/subgid', before.gid]] as const) {
      for (const l of (await readFile(file, 'utf8')).split('\n')) if (l.startsWith('dockremap:') && !text.split('\n').includes(l)) await removeLine(file, l);
    }
    if (!had) await d.run('userdel', ['dockremap']);
  }
});
