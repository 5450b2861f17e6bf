import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lsetxattr, mknod, S_IFCHR } from '../src/sys/index.js';
import { overlayChanges, visibleChanges } from '../src/services/fs/changes.js';

test('overlay upper dirs: whiteouts are deletions, opaque dirs delete the lower content', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fsops-changes-'));
  try {
    const lower = join(dir, 'lower');
    const upper = join(dir, 'upper');
    for (const p of ['etc', 'opq', 'opq/old', 'bin']) await mkdir(join(lower, p), { recursive: true });
    await writeFile(join(lower, 'etc/passwd'), 'a');
    await writeFile(join(lower, 'bin/true'), 'a');
    await writeFile(join(lower, 'opq/keep'), 'a');
    // The lower tree is older than anything made below (the kernel's clock ticks coarsely: dirs made
    // in the same tick would have equal times, and a changed directory would look unchanged).
    const old = new Date('2020-01-01T00:00:00Z');
    for (const p of ['etc', 'opq', 'opq/old', 'bin']) await utimes(join(lower, p), old, old);
    await mkdir(join(upper, 'etc'), { recursive: true });
    await mkdir(join(upper, 'bin'));
    await mkdir(join(upper, 'opq'));
    await mkdir(join(upper, 'new/deeper'), { recursive: true });
    await writeFile(join(upper, 'etc/passwd'), 'b');
    await writeFile(join(upper, 'etc/hosts'), '');
    await writeFile(join(upper, 'opq/keep'), 'c');
    await writeFile(join(upper, 'new/deeper/f'), 'x');
    mknod(join(upper, 'bin/true'), S_IFCHR, 0, 0);
    lsetxattr(join(upper, 'opq'), 'trusted.overlay.opaque', 'y');
    const changes = visibleChanges(await overlayChanges(upper, lower));
    assert.deepEqual(
      changes.map((c) => `${c.kind} ${c.path}`),
      ['modify bin', 'delete bin/true', 'modify etc', 'modify etc/passwd', 'add new', 'add new/deeper', 'add new/deeper/f', 'modify opq', 'modify opq/keep', 'delete opq/old'],
    );
    // Without a lower (an image without layers) everything is an addition and whiteouts vanish.
    const bare = visibleChanges(await overlayChanges(upper, null));
    assert.ok(bare.every((c) => c.kind === 'add'));
    assert.ok(!bare.some((c) => c.path === 'bin/true'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
