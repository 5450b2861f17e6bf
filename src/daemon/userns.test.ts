import { test } from 'node:test';
import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkRemappedAccess, freeRangeStart, parseSubordinate, resolveRemap } from './userns.js';

async function etc(files: Record<string, string>): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'berth-userns-'));
  for (const [name, text] of Object.entries(files)) await writeFile(join(dir, name), text);
  return dir;
}

const PASSWD = 'root:x:0:0:root:/root:/bin/bash\nalice:x:1001:1002::/home/alice:/bin/sh\ndockremap:x:999:995::/home/dockremap:/bin/false\n';
const GROUP = 'root:x:0:\nalice:x:1002:\nstaff:x:50:\ndockremap:x:995:\n';
const SUBUID = '# comment\nbob:500000:65536\nalice:100000:65536\nalice:900000:65536\n1234:300000:1000\ndockremap:165536:65536\n';
const SUBGID = 'alice:200000:65536\nstaff:400000:65536\n1234:310000:2000\n4321:320000:10\ndockremap:165536:65536\n';

test('--userns-remap by name, by number, with or without a group: the first range of each', async () => {
  const dir = await etc({ passwd: PASSWD, group: GROUP, subuid: SUBUID, subgid: SUBGID });
  try {
    const files = { etc: dir, create: false };
    assert.deepEqual(await resolveRemap('alice', files), {
      uids: [{ containerId: 0, hostId: 100000, size: 65536 }],
      gids: [{ containerId: 0, hostId: 200000, size: 65536 }],
    });
    assert.deepEqual((await resolveRemap('alice:staff', files)).gids, [{ containerId: 0, hostId: 400000, size: 65536 }]);
    // By uid: the passwd entry's name finds alice's range; a number without an entry matches lines by number.
    assert.deepEqual((await resolveRemap('1001:50', files)).uids, [{ containerId: 0, hostId: 100000, size: 65536 }]);
    assert.deepEqual(await resolveRemap('1234', files), {
      uids: [{ containerId: 0, hostId: 300000, size: 1000 }],
      gids: [{ containerId: 0, hostId: 310000, size: 2000 }],
    });
    assert.deepEqual((await resolveRemap('1234:4321', files)).gids, [{ containerId: 0, hostId: 320000, size: 10 }]);
    assert.deepEqual((await resolveRemap('default', files)).uids, [{ containerId: 0, hostId: 165536, size: 65536 }]);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('--userns-remap errors: bad spec, unknown user, no subordinate range', async () => {
  const dir = await etc({ passwd: PASSWD, group: GROUP, subuid: SUBUID, subgid: SUBGID });
  try {
    const files = { etc: dir, create: false };
    await assert.rejects(resolveRemap('a:b:c', files), /invalid user\/group specification in --userns-remap: "a:b:c"/);
    await assert.rejects(resolveRemap('alice:', files), /invalid user\/group specification/);
    await assert.rejects(resolveRemap('nobody-here', files), /no user named "nobody-here"/);
    await assert.rejects(resolveRemap('alice:nogroup', files), /no group named "nogroup"/);
    await assert.rejects(resolveRemap('root', files), /no subordinate ranges for "root" in \/etc\/subuid/);
    await assert.rejects(resolveRemap('bob', files), /no user named "bob"/);
    await assert.rejects(resolveRemap('4321', files), /no subordinate ranges for "4321" in \/etc\/subuid/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('subordinate files: comments, empty and malformed lines are skipped', () => {
  assert.deepEqual(parseSubordinate('#x\n\nbad\nu:1:0\nu:x:5\nu:10:5\n'), [{ owner: 'u', start: 10, size: 5 }]);
});

test("the default user's range: the first free 65536 ids from 100000, as Docker picks", () => {
  assert.equal(freeRangeStart([]), 100000);
  assert.equal(freeRangeStart([{ start: 100000, size: 65536 }]), 165536);
  assert.equal(freeRangeStart([{ start: 300000, size: 65536 }, { start: 100000, size: 65536 }]), 165536);
  assert.equal(freeRangeStart([{ start: 150000, size: 65536 }]), 215536);
  assert.equal(freeRangeStart([{ start: 20000000, size: 65536 }]), 100000);
});

test('start-up refuses a data root the remapped root cannot reach', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'berth-userns-'));
  try {
    const root = join(dir, 'a', 'data');
    await mkdir(root, { recursive: true });
    await chmod(dir, 0o711);
    const m = { uids: [{ containerId: 0, hostId: 100000, size: 65536 }], gids: [{ containerId: 0, hostId: 100000, size: 65536 }] };
    await chmod(join(dir, 'a'), 0o700);
    await assert.rejects(checkRemappedAccess(root, m), new RegExp(`\\(${join(dir, 'a')}\\) restricts access to the remapped root 100000:100000`));
    await chmod(join(dir, 'a'), 0o711);
    await checkRemappedAccess(root, m);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
