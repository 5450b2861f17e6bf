import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { TestDaemon } from './helpers/daemon.js';
import { makeBusyboxRootfs, tarDirectory } from './helpers/busybox.js';

let d: TestDaemon;
let tar: string;
before(async () => {
  d = await TestDaemon.start();
  await d.makeBusyboxImage();
  makeBusyboxRootfs(join(d.dir, 'rootfs'));
  tar = join(d.dir, 'rootfs.tar');
  tarDirectory(join(d.dir, 'rootfs'), tar);
});
after(async () => {
  await d?.cleanup();
});

const ok = (r: { code: number; stderr: string }, what = ''): void => assert.equal(r.code, 0, `${what} ${r.stderr}`);

/** An image whose config differs by one label, so that each import gets a new ID. */
async function importImage(name: string, label: string): Promise<string> {
  const r = await d.berth(['import', '-c', `LABEL v=${label}`, tar, name]);
  ok(r, 'import');
  return r.stdout.trim();
}

const imageIds = async (): Promise<string[]> => (await d.docker(['images', '-aq', '--no-trunc'])).stdout.split('\n').filter(Boolean).sort();

test('image prune removes dangling images only; -a every image no container uses; filters hold images back', async () => {
  const first = await importImage('app:1', 'one');
  const second = await importImage('app:1', 'two'); // takes the tag: the first is dangling now
  assert.notEqual(first, second);
  const kept = await importImage('kept:1', 'three');
  ok(await d.docker(['create', '--name', 'user', 'kept:1', 'true']), 'create');
  const labelled = await importImage('labelled:1', 'four');

  const dry = await d.docker(['image', 'prune', '-f', '--filter', 'until=2000-01-01T00:00:00Z']);
  ok(dry, 'prune until');
  assert.ok((await imageIds()).includes(first), 'until in the past keeps a new dangling image');

  const p = await d.docker(['image', 'prune', '-f']);
  ok(p, 'prune');
  assert.equal(p.stdout, `Deleted Images:\ndeleted: ${first}\n\n${p.stdout.split('\n\n')[1]}`);
  assert.match(p.stdout, /Total reclaimed space: \d+(\.\d+)?[kMG]?B\n$/);
  assert.deepEqual(await imageIds(), [second, kept, labelled, (await d.docker(['image', 'inspect', '-f', '{{.Id}}', 'busybox'])).stdout.trim()].sort());

  const a = await d.berth(['image', 'prune', '-a', '-f', '--filter', 'label!=v=four']);
  ok(a, 'prune -a');
  assert.match(a.stdout, /untagged: app:1\n/);
  assert.match(a.stdout, /untagged: busybox:latest\n/);
  assert.doesNotMatch(a.stdout, /kept:1|labelled:1/);
  assert.deepEqual(await imageIds(), [kept, labelled].sort(), 'the image a stopped container uses stays, and the one the filter excludes');

  // The docker CLI sends a relative --until in whole seconds: a second ahead replays everything up to now.
  const until = String(Math.floor(Date.now() / 1000) + 1);
  const events = await d.docker(['events', '--since', '1m', '--until', until, '--filter', 'type=image', '--filter', 'event=prune', '--format', '{{.Action}} {{index .Actor.Attributes "reclaimed"}}']);
  ok(events, 'events');
  assert.match(events.stdout, /^prune \d+\n/m);

  const run = await d.docker(['run', '--rm', 'kept:1', 'echo', 'still runs']);
  ok(run, 'run');
  assert.equal(run.stdout, 'still runs\n');
});

test('system prune: stopped containers, dangling images, with --volumes anonymous volumes; asks first', async () => {
  await importImage('sys:1', 'a');
  const dangling = await importImage('sys:1', 'b');
  await importImage('sys:1', 'c');
  ok(await d.docker(['create', '--name', 'stopped', '-v', '/anon', 'sys:1', 'true']), 'create');
  ok(await d.docker(['volume', 'create', 'named']), 'volume');
  const running = await d.docker(['run', '-d', 'sys:1', 'sleep', '60']);
  ok(running, 'run -d');

  const no = await d.berth(['system', 'prune'], { input: 'n\n' });
  ok(no, 'declined');
  assert.match(no.stdout, /WARNING! This will remove:\n {2}- all stopped containers\n/);
  assert.equal((await d.docker(['ps', '-aq', '--filter', 'name=stopped'])).stdout.trim().length, 12, 'declining removes nothing');

  const yes = await d.berth(['system', 'prune', '--volumes'], { input: 'y\n' });
  ok(yes, 'system prune');
  assert.match(yes.stdout, /Deleted Containers:\n[0-9a-f]{64}\n/);
  assert.match(yes.stdout, /Deleted Volumes:\n[0-9a-f]{64}\n/);
  assert.match(yes.stdout, new RegExp(`Deleted Images:\\n(.*\\n)*deleted: ${dangling}\\n`));
  assert.match(yes.stdout, /Total reclaimed space: /);
  assert.equal((await d.docker(['ps', '-aq'])).stdout.trim(), running.stdout.trim().slice(0, 12), 'the running container stays');
  assert.equal((await d.docker(['volume', 'ls', '-q'])).stdout, 'named\n', 'named volumes stay');
  ok(await d.docker(['rm', '-f', running.stdout.trim()]), 'rm');
});
