import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { TestDaemon, useBusyboxDaemon } from './helpers/daemon.js';

let d!: TestDaemon;
useBusyboxDaemon((daemon) => (d = daemon));

async function berthFsMounts(): Promise<string[]> {
  const info = await readFile('/proc/self/mountinfo', 'utf8');
  return info.split('\n').filter((l) => l.includes(`${d.dataRoot}/tmp/fs-`));
}

const CHANGES = 'echo hi > /hello && mkdir /newdir && echo x > /newdir/f && rm /bin/true && echo more >> /etc/passwd';

test('diff lists A, C and D from the writable layer, running and stopped', async () => {
  assert.equal((await d.berth(['run', '-d', '--name', 'df1', 'busybox', 'sh', '-c', `${CHANGES} && sleep 300`])).code, 0);
  let r = await d.docker(['diff', 'df1']);
  // The shell's last change is the one to wait for: a diff taken between two of them misses the rest.
  for (let i = 0; i < 20 && !r.stdout.includes('C /etc/passwd'); i++) {
    await new Promise((res) => setTimeout(res, 100));
    r = await d.docker(['diff', 'df1']);
  }
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(r.stdout.trim().split('\n'), ['C /bin', 'D /bin/true', 'C /etc', 'C /etc/passwd', 'A /hello', 'A /newdir', 'A /newdir/f']);
  assert.equal((await d.berth(['stop', '-t', '0', 'df1'])).code, 0);
  const b = await d.berth(['container', 'diff', 'df1']);
  assert.equal(b.stdout, r.stdout);
  assert.deepEqual(await berthFsMounts(), []);
  await d.berth(['rm', 'df1']);
});

test('commit makes an image with exactly one more layer that runs with the changes', async () => {
  assert.equal((await d.berth(['run', '-d', '--name', 'cm1', '-e', 'FROM_RUN=1', 'busybox', 'sh', '-c', `${CHANGES} && sleep 300`])).code, 0);
  await new Promise((res) => setTimeout(res, 500));
  const c = await d.docker(['commit', '-a', 'Tester <t@example.com>', '-m', 'first snapshot', '-c', 'ENV ADDED=yes', '-c', 'CMD ["cat", "/hello"]', 'cm1', 'snap:1']);
  assert.equal(c.code, 0, c.stderr);
  assert.match(c.stdout.trim(), /^sha256:[a-f0-9]{64}$/);
  // Paused for the commit, running again afterwards.
  assert.equal((await d.berth(['inspect', '-f', '{{.State.Status}}', 'cm1'])).stdout.trim(), 'running');
  const parent = (await d.docker(['image', 'inspect', '-f', '{{len .RootFS.Layers}}', 'busybox'])).stdout.trim();
  const child = (await d.docker(['image', 'inspect', '-f', '{{len .RootFS.Layers}}', 'snap:1'])).stdout.trim();
  assert.equal(Number(child), Number(parent) + 1);
  const hist = await d.docker(['history', '--format', '{{.Comment}}|{{.CreatedBy}}', 'snap:1']);
  assert.equal(hist.stdout.trim().split('\n').length, Number(parent) + 1);
  assert.match(hist.stdout.split('\n')[0] ?? '', /^first snapshot\|sh -c echo hi/);
  assert.equal((await d.docker(['image', 'inspect', '-f', '{{.Author}}', 'snap:1'])).stdout.trim(), 'Tester <t@example.com>');
  const out = await d.docker(['run', '--rm', 'snap:1']);
  assert.equal(out.stdout, 'hi\n', out.stderr);
  const env = await d.docker(['run', '--rm', 'snap:1', 'sh', '-c', 'echo $ADDED $FROM_RUN; cat /newdir/f; tail -n1 /etc/passwd; test -e /bin/true || echo gone']);
  assert.equal(env.stdout, 'yes 1\nx\nmore\ngone\n', env.stderr);
  // berth's commit without a repository, without pausing; nothing changed since, still one more layer.
  const b = await d.berth(['commit', '--pause=false', 'cm1']);
  assert.equal(b.code, 0, b.stderr);
  const id = b.stdout.trim();
  assert.equal((await d.docker(['image', 'inspect', '-f', '{{len .RootFS.Layers}}', id])).stdout.trim(), child);
  await d.berth(['rm', '-f', 'cm1']);
  assert.deepEqual(await berthFsMounts(), []);
});

test('export streams the merged rootfs as a tar', async () => {
  assert.equal((await d.berth(['create', '--name', 'ex1', 'busybox', 'true'])).code, 0);
  assert.equal((await d.berth(['start', '-a', 'ex1'])).code, 0);
  const r = await d.run('sh', ['-c', 'docker export ex1 | tar t']);
  assert.equal(r.code, 0, r.stderr);
  const names = r.stdout.split('\n');
  assert.ok(names.includes('bin/busybox'), r.stdout.slice(0, 300));
  assert.ok(names.includes('etc/passwd'));
  assert.ok(!names.some((n) => n.startsWith('/') || n.startsWith('..')));
  const file = `${d.dir}/ex.tar`;
  assert.equal((await d.berth(['export', '-o', file, 'ex1'])).code, 0);
  const listed = await d.run('tar', ['tf', file]);
  assert.equal(listed.stdout, r.stdout);
  assert.deepEqual(await berthFsMounts(), []);
  await d.berth(['rm', 'ex1']);
});

test('system df adds up images, layers and containers', async () => {
  assert.equal((await d.berth(['run', '-d', '--name', 'sz', 'busybox', 'sh', '-c', 'head -c 100000 /dev/zero > /blob && sleep 300'])).code, 0);
  await new Promise((res) => setTimeout(res, 500));
  const r = await d.docker(['system', 'df', '--format', '{{.Type}}|{{.TotalCount}}|{{.Active}}|{{.Size}}']);
  assert.equal(r.code, 0, r.stderr);
  const rows = r.stdout.trim().split('\n');
  assert.equal(rows[0]?.split('|').slice(0, 3).join('|'), 'Images|' + (await d.berth(['images', '-q'])).stdout.trim().split('\n').length + '|1');
  assert.equal(rows[1], 'Containers|1|1|100kB');
  assert.equal(rows[2], 'Local Volumes|0|0|0B');
  assert.match(rows[3] ?? '', /^Build Cache\|0\|0\|0B$/);
  const v = await d.docker(['system', 'df', '-v']);
  assert.match(v.stdout, /Images space usage:\n\nREPOSITORY\s+TAG\s+IMAGE ID\s+CREATED\s+SIZE\s+SHARED SIZE\s+UNIQUE SIZE\s+CONTAINERS\n/);
  assert.match(v.stdout, /\nbusybox\s+latest\s+[a-f0-9]{12}\s+.* ago\s+\S+\s+\S+\s+\S+\s+1\n/);
  assert.match(v.stdout, /Containers space usage:[\s\S]*\ssz\n/);
  const b = await d.berth(['system', 'df']);
  assert.match(b.stdout, /^TYPE\s+TOTAL\s+ACTIVE\s+SIZE\s+RECLAIMABLE\nImages\s+/);
  assert.match(b.stdout, /\nContainers\s+1\s+1\s+100kB\s+0B \(0%\)\n/);
  await d.berth(['rm', '-f', 'sz']);
  assert.equal((await d.docker(['volume', 'create', 'dfvol'])).code, 0);
  const withVol = await d.docker(['system', 'df', '--format', '{{.Type}}|{{.TotalCount}}|{{.Active}}']);
  assert.match(withVol.stdout, /\nLocal Volumes\|1\|0\n/);
  await d.docker(['volume', 'rm', 'dfvol']);
});

test('the copy driver gives the same diff, commit and cp', async () => {
  const c = await TestDaemon.start({ driver: 'copy' });
  try {
    await c.makeBusyboxImage();
    assert.equal((await c.berth(['run', '-d', '--name', 'cd1', 'busybox', 'sh', '-c', `${CHANGES} && sleep 300`])).code, 0);
    let r = await c.docker(['diff', 'cd1']);
    // The shell's last change is the one to wait for: a diff taken between two of them misses the rest.
    for (let i = 0; i < 20 && !r.stdout.includes('C /etc/passwd'); i++) {
      await new Promise((res) => setTimeout(res, 100));
      r = await c.docker(['diff', 'cd1']);
    }
    assert.deepEqual(r.stdout.trim().split('\n'), ['C /bin', 'D /bin/true', 'C /etc', 'C /etc/passwd', 'A /hello', 'A /newdir', 'A /newdir/f']);
    assert.equal((await c.docker(['commit', 'cd1', 'snap:copy'])).code, 0);
    const out = await c.docker(['run', '--rm', 'snap:copy', 'sh', '-c', 'cat /hello /newdir/f; test -e /bin/true || echo gone']);
    assert.equal(out.stdout, 'hi\nx\ngone\n', out.stderr);
    const cp = await c.run('sh', ['-c', 'docker cp cd1:/newdir/f - | tar xO']);
    assert.equal(cp.stdout, 'x\n');
  } finally {
    await c.cleanup();
  }
});
