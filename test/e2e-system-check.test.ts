import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { TestDaemon, leftoverMounts, useBusyboxDaemon } from './helpers/daemon.js';

/*
 * berth system check on a real data root: a sound store passes; orphans made by hand (a blob, a
 * layer, a container folder with a mount, a volume folder, a network namespace) and a corrupted
 * image blob are each named; --repair removes the orphans and leaves the broken image to its user.
 */
let d!: TestDaemon;
useBusyboxDaemon((daemon) => (d = daemon));

test('system check finds orphans and a corrupt image, --repair removes only the orphans', async (t) => {
  const clean = await d.berth(['system', 'check']);
  assert.equal(clean.code, 0, clean.stdout + clean.stderr);
  assert.match(clean.stdout, /checked 1 images, \d+ blobs, 1 layers, 0 containers, 0 volumes, .*: no faults/);

  const ctx = join(d.dir, 'ctx');
  mkdirSync(ctx);
  writeFileSync(join(ctx, 'Dockerfile'), 'FROM busybox\nRUN echo v > /victim\n');
  assert.equal((await d.docker(['build', '-q', '-t', 'victim', ctx])).code, 0);
  const layers = (await d.docker(['image', 'inspect', '--format', '{{json .RootFS.Layers}}', 'victim'])).stdout;
  assert.equal((JSON.parse(layers) as string[]).length, 2);
  // The victim's own layer, which busybox does not share: a commit stores it under its diff ID.
  const blobsDir = join(d.dataRoot, 'blobs/sha256');
  const victimId = (await d.docker(['image', 'inspect', '--format', '{{.Id}}', 'victim'])).stdout.trim();
  const cfg = JSON.parse(readFileSync(join(blobsDir, victimId.replace('sha256:', '')), 'utf8')) as { rootfs: { diff_ids: string[] } };
  const top = cfg.rootfs.diff_ids[1]?.replace('sha256:', '') ?? '';
  assert.ok(existsSync(join(blobsDir, top)), 'a committed layer is stored under its diff ID');
  chmodSync(join(blobsDir, top), 0o644);
  writeFileSync(join(blobsDir, top), 'not the layer');

  const stray = Buffer.from('stray blob');
  const strayHex = createHash('sha256').update(stray).digest('hex');
  writeFileSync(join(blobsDir, strayHex), stray);
  mkdirSync(join(d.dataRoot, 'layers', 'e'.repeat(64), 'diff'), { recursive: true });
  const ghost = 'f'.repeat(64);
  mkdirSync(join(d.dataRoot, 'containers', ghost, 'rootfs'), { recursive: true });
  execFileSync('mount', ['-t', 'tmpfs', 'tmpfs', join(d.dataRoot, 'containers', ghost, 'rootfs')]);
  mkdirSync(join(d.dataRoot, 'volumes', 'strayvol', '_data'), { recursive: true });
  const ns = join(d.execRoot, 'netns', ghost);
  mkdirSync(join(d.execRoot, 'netns'), { recursive: true });
  writeFileSync(ns, '');
  execFileSync('unshare', [`--net=${ns}`, 'true']);
  // Should an assertion fail before the repair, the hand-made mounts still go.
  t.after(() => {
    for (const m of [ns, join(d.dataRoot, 'containers', ghost, 'rootfs')]) {
      try {
        execFileSync('umount', ['-l', m], { stdio: 'ignore' });
      } catch {
        /* already gone: the repair did it */
      }
    }
  });

  const found = await d.berth(['system', 'check']);
  assert.equal(found.code, 1, found.stdout + found.stderr);
  for (const re of [
    new RegExp(`fault: blob sha256:${top} of image victim:latest \\(\\w{12}\\) does not match its digest`),
    new RegExp(`fault: blob sha256:${strayHex} belongs to no image`),
    new RegExp(`fault: layer sha256:${'e'.repeat(64)} belongs to no image and no container`),
    new RegExp(`fault: mount .*/containers/${ghost}/rootfs belongs to container f{12}, which no longer exists`),
    /fault: folder of container f{12} has no container record/,
    /fault: folder of volume strayvol has no volume record/,
    /fault: network namespace of container f{12}, which no longer exists/,
    /7 faults\n$/,
  ]) assert.match(found.stdout, re);

  const repaired = await d.berth(['system', 'check', '--repair']);
  assert.equal(repaired.code, 1, 'the corrupt image is left to its user');
  assert.match(repaired.stdout, /1 fault, 6 repaired\n$/);
  assert.deepEqual((await leftoverMounts(join(d.dataRoot, 'containers'))), [], 'the orphan mount is gone');
  assert.ok(!existsSync(ns) && !existsSync(join(d.dataRoot, 'containers', ghost)) && !existsSync(join(d.dataRoot, 'volumes', 'strayvol')));
  assert.ok(existsSync(join(blobsDir, top)), 'a blob an image names is never removed, even broken');

  assert.equal((await d.docker(['rmi', 'victim'])).code, 0);
  const after = await d.berth(['system', 'check']);
  assert.equal(after.code, 0, after.stdout);
  const run = await d.docker(['run', '--rm', '--network', 'none', 'busybox', 'echo', 'fine']);
  assert.equal(run.stdout, 'fine\n');
});

test('system check finds a veth on its bridge that no endpoint owns and a masquerade rule whose network and bridge are gone; --repair removes both', async (t) => {
  assert.equal((await d.docker(['run', '--rm', 'busybox', 'true'])).code, 0, 'the default bridge exists');
  const hex = createHash('sha256').update(d.dir).digest('hex');
  const veth = `veth${hex.slice(0, 11)}`;
  const peer = `vp${hex.slice(11, 20)}`;
  const gone = `bg${hex.slice(20, 29)}`;
  const rule = ['POSTROUTING', '-s', '10.254.254.0/24', '!', '-o', gone, '-m', 'comment', '--comment', `berth ${hex}`, '-j', 'MASQUERADE'];
  execFileSync('ip', ['link', 'add', veth, 'type', 'veth', 'peer', 'name', peer]);
  t.after(() => {
    for (const args of [['ip', 'link', 'del', veth], ['iptables', '-w', '-t', 'nat', '-D', ...rule]]) {
      try {
        execFileSync(args[0] as string, args.slice(1), { stdio: 'ignore' });
      } catch {
        /* repaired already */
      }
    }
  });
  execFileSync('ip', ['link', 'set', veth, 'master', d.net.bridge]);
  execFileSync('iptables', ['-w', '-t', 'nat', '-A', ...rule]);

  const found = await d.berth(['system', 'check']);
  assert.equal(found.code, 1, found.stdout + found.stderr);
  assert.match(found.stdout, new RegExp(`fault: interface ${veth} on bridge ${d.net.bridge} belongs to no container endpoint`));
  assert.match(found.stdout, new RegExp(`fault: iptables rule of network ${hex.slice(0, 12)}, which no longer exists`));
  assert.match(found.stdout, /2 faults\n$/);
  const repaired = await d.berth(['system', 'check', '--repair']);
  assert.match(repaired.stdout, /0 faults, 2 repaired\n$/);
  assert.ok(!existsSync(`/sys/class/net/${veth}`), 'the veth is gone');
  assert.ok(!execFileSync('iptables-save', ['-t', 'nat'], { encoding: 'utf8' }).includes(`berth ${hex}`), 'the rule is gone');
  const after = await d.berth(['system', 'check']);
  assert.equal(after.code, 0, after.stdout);
});
