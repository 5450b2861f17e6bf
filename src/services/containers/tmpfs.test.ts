import { test } from 'node:test';
import assert from 'node:assert/strict';
import { tmpfsOptions } from './tmpfs.js';

test('tmpfs options: Docker defaults with the user flags winning', () => {
  assert.deepEqual(tmpfsOptions([]), ['noexec', 'nosuid', 'nodev']);
  assert.deepEqual(tmpfsOptions(['exec', 'size=1m']), ['nosuid', 'nodev', 'exec', 'size=1m']);
});
