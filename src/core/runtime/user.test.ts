import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { InvalidArgument } from '../../errdefs/index.js';
import { resolveInRoot, resolveUser } from './user.js';

let root = '';
before(async () => {
  root = await mkdtemp(join(tmpdir(), 'berth-user-'));
  await mkdir(join(root, 'etc'));
  await writeFile(
    join(root, 'etc/passwd'),
    'root:x:0:0:root:/root:/bin/sh\nberth:x:1000:1000:berth:/home/berth:/bin/sh\n# comment\nweb:x:33:33::/var/www:/bin/false\n',
  );
  await writeFile(join(root, 'etc/group'), 'root:x:0:\nberth:x:1000:\nwheel:x:10:berth,web\naudio:x:29:berth\nwww:x:33:\n');
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

test('empty user is root with root home', async () => {
  assert.deepEqual(await resolveUser(root, ''), { uid: 0, gid: 0, additionalGids: [], home: '/root' });
});

test('a name gives its uid, primary gid and supplementary groups', async () => {
  assert.deepEqual(await resolveUser(root, 'berth'), { uid: 1000, gid: 1000, additionalGids: [10, 29], home: '/home/berth' });
});

test('numeric uid: from passwd when listed, else gid 0 and home /', async () => {
  assert.deepEqual(await resolveUser(root, '33'), { uid: 33, gid: 33, additionalGids: [10], home: '/var/www' });
  assert.deepEqual(await resolveUser(root, '4242'), { uid: 4242, gid: 0, additionalGids: [], home: '/' });
});

test('user:group by name and by number', async () => {
  assert.deepEqual(await resolveUser(root, 'berth:wheel'), { uid: 1000, gid: 10, additionalGids: [], home: '/home/berth' });
  assert.deepEqual(await resolveUser(root, '1000:5'), { uid: 1000, gid: 5, additionalGids: [], home: '/home/berth' });
  assert.deepEqual(await resolveUser(root, '77:88'), { uid: 77, gid: 88, additionalGids: [], home: '/' });
});

test('unknown names are InvalidArgument with Docker wording', async () => {
  await assert.rejects(resolveUser(root, 'ghost'), (e: unknown) => {
    assert.ok(e instanceof InvalidArgument);
    assert.equal(e.message, 'unable to find user ghost: no matching entries in passwd file');
    return true;
  });
  await assert.rejects(resolveUser(root, 'berth:ghosts'), /unable to find group ghosts: no matching entries in group file/);
});

test('symlinks cannot lead out of the rootfs', async () => {
  const r2 = await mkdtemp(join(tmpdir(), 'berth-user2-'));
  try {
    await mkdir(join(r2, 'etc'));
    await mkdir(join(r2, 'real'));
    // An absolute link that would read the host's /etc/passwd if followed naively.
    await symlink('/etc/../../../real/passwd', join(r2, 'etc/passwd'));
    await writeFile(join(r2, 'real/passwd'), 'inside:x:5:6::/in:/bin/sh\n');
    assert.equal(await resolveInRoot(r2, '/etc/passwd'), join(r2, 'real/passwd'));
    assert.deepEqual(await resolveUser(r2, 'inside'), { uid: 5, gid: 6, additionalGids: [], home: '/in' });
    await assert.rejects(resolveUser(r2, 'root'), InvalidArgument);
  } finally {
    await rm(r2, { recursive: true, force: true });
  }
});

test('missing passwd: numeric users still work, names do not', async () => {
  const r3 = await mkdtemp(join(tmpdir(), 'berth-user3-'));
  try {
    assert.deepEqual(await resolveUser(r3, '0'), { uid: 0, gid: 0, additionalGids: [], home: '/' });
    await assert.rejects(resolveUser(r3, 'root'), InvalidArgument);
  } finally {
    await rm(r3, { recursive: true, force: true });
  }
});
