import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { TestDaemon, useBusyboxDaemon } from './helpers/daemon.js';

/*
 * --device-cgroup-rule: the rule joins the container's device cgroup, so a node made inside with
 * mknod can be opened. /dev/fuse (c 10:229) is not on Docker's default allow list and opening it has
 * no side effects; without the rule the cgroup refuses the open.
 */
let d!: TestDaemon;
useBusyboxDaemon((daemon) => (d = daemon));

const OPEN_FUSE = 'mknod /tmp/fuse c 10 229 && (exec 3<>/tmp/fuse && echo opened) 2>&1; true';

test('docker run --device-cgroup-rule allows the device; without it the cgroup denies it', async () => {
  const without = await d.docker(['run', '--rm', '--network', 'none', 'busybox', 'sh', '-c', OPEN_FUSE]);
  assert.equal(without.code, 0, without.stderr);
  assert.match(without.stdout, /Operation not permitted/, 'the default device cgroup denies c 10:229');
  assert.doesNotMatch(without.stdout, /opened/);

  const withRule = await d.docker(['run', '--rm', '--network', 'none', '--device-cgroup-rule', 'c 10:229 rwm', 'busybox', 'sh', '-c', OPEN_FUSE]);
  assert.equal(withRule.code, 0, withRule.stderr);
  assert.equal(withRule.stdout.trim(), 'opened');
});

test('the rule is in the cgroup (v1 devices.list) and inspect echoes DeviceCgroupRules', async () => {
  const run = await d.docker(['run', '-d', '--network', 'none', '--device-cgroup-rule', 'c 10:229 rw', '--device-cgroup-rule', 'b 7:* m', 'busybox', 'sleep', '60']);
  assert.equal(run.code, 0, run.stderr);
  const id = run.stdout.trim();
  try {
    const list = await readFile(`/sys/fs/cgroup/devices/berth/${id}/devices.list`, 'utf8');
    const lines = list.trim().split('\n');
    assert.ok(lines.includes('c 10:229 rw'), list);
    assert.ok(lines.includes('b 7:* m'), list);
    assert.ok(!lines.includes('a *:* rwm'), 'not allow-all');
    const rules = await d.docker(['inspect', '-f', '{{json .HostConfig.DeviceCgroupRules}}', id]);
    assert.equal(rules.stdout.trim(), '["c 10:229 rw","b 7:* m"]');
  } finally {
    await d.docker(['rm', '-f', id]);
  }
});

test('a bad rule is refused with Docker messages by berthd and the berth CLI', async () => {
  const r = await d.api('POST', '/containers/create', { Image: 'busybox', Cmd: ['true'], HostConfig: { DeviceCgroupRules: ['c 10:229 rwx'] } });
  assert.equal(r.status, 400);
  assert.deepEqual(r.json, { message: "invalid device cgroup rule format: 'c 10:229 rwx'" });
  const cli = await d.berth(['run', '--rm', '--device-cgroup-rule', 'q 1:2 r', 'busybox', 'true']);
  assert.equal(cli.code, 125);
  assert.match(cli.stderr, /invalid argument "q 1:2 r" for "--device-cgroup-rule" flag: invalid device cgroup format 'q 1:2 r'/);
});

test('berth run --device-cgroup-rule sends the rule', async () => {
  const r = await d.berth(['run', '--rm', '--network', 'none', '--device-cgroup-rule', 'c 10:229 rwm', 'busybox', 'sh', '-c', OPEN_FUSE]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim(), 'opened');
});
