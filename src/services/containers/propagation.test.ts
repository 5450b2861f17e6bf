import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkPropagation, mountOf, parseMountinfo } from './propagation.js';

const INFO = [
  '27 1 254:0 / / rw,relatime - ext4 /dev/vda rw',
  '40 27 0:50 / /srv/shared rw,relatime shared:7 - tmpfs tmpfs rw',
  '41 27 0:51 / /srv/slave rw,relatime master:7 - tmpfs tmpfs rw',
  '42 40 0:52 / /srv/shared/private\\040dir rw,relatime - tmpfs tmpfs rw',
  '',
].join('\n');

test('mountinfo: the mount a path lies on, with its propagation and escaped names', () => {
  const e = parseMountinfo(INFO);
  assert.deepEqual(mountOf(e, '/srv/shared/x'), { point: '/srv/shared', shared: true, slave: false });
  assert.deepEqual(mountOf(e, '/srv/shared/private dir/y'), { point: '/srv/shared/private dir', shared: false, slave: false });
  assert.deepEqual(mountOf(e, '/srv/sharedness'), { point: '/', shared: false, slave: false });
  assert.equal(mountOf(e, '/srv/slave')?.slave, true);
});

test('a shared bind needs a shared source mount, a slave one a shared or slave one, in Docker\'s words', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-prop-'));
  try {
    const info = join(dir, 'mountinfo');
    await writeFile(info, INFO);
    await checkPropagation('/srv/shared/a', 'rshared', info);
    await checkPropagation('/srv/slave/a', 'rslave', info);
    await checkPropagation('/srv/shared/a', 'rslave', info);
    await checkPropagation('/etc', 'rprivate', info);
    await assert.rejects(checkPropagation('/srv/slave/a', 'rshared', info), /path \/srv\/slave\/a is mounted on \/srv\/slave but it is not a shared mount/);
    await assert.rejects(checkPropagation('/etc', 'rslave', info), /path \/etc is mounted on \/ but it is not a shared or slave mount/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
