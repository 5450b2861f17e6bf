import { test } from 'node:test';
import assert from 'node:assert/strict';
import { lstat, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { goFileMode } from './file-mode.js';

test('Go FileMode bits for directories, symlinks, setuid files and devices', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'fsops-mode-'));
  try {
    await writeFile(join(dir, 'f'), 'x', { mode: 0o4755 });
    await symlink('f', join(dir, 'l'));
    assert.equal(goFileMode((await lstat(dir)).mode), 2 ** 31 + 0o700);
    assert.equal(goFileMode((await lstat(join(dir, 'l'))).mode), 2 ** 27 + 0o777);
    assert.equal(goFileMode((await lstat(join(dir, 'f'))).mode), 2 ** 23 + 0o755);
    assert.equal(goFileMode((await lstat('/dev/null')).mode), 2 ** 26 + 2 ** 21 + 0o666);
    assert.equal(goFileMode(0o100644), 0o644, 'a regular file has no type bit');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
