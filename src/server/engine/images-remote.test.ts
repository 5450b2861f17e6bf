import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonMessage } from './images-remote.js';

test('progress events become Docker JSON messages', () => {
  assert.deepEqual(jsonMessage({ id: 'abc', status: 'Pulling fs layer' }), { status: 'Pulling fs layer', progressDetail: {}, id: 'abc' });
  const m = jsonMessage({ id: 'abc', status: 'Downloading', current: 1_500_000, total: 3_000_000 });
  assert.deepEqual(m['progressDetail'], { current: 1_500_000, total: 3_000_000 });
  // Exactly what dockerd sends: the bar at 200 columns, the current size padded to 8.
  assert.equal(m['progress'], `[${'='.repeat(25)}>${' '.repeat(25)}]    1.5MB/3MB`);
  assert.equal(jsonMessage({ id: 'abc', status: 'Extracting', current: 3_000_000, total: 3_000_000 })['progress'], `[${'='.repeat(50)}>]      3MB/3MB`);
  assert.deepEqual(jsonMessage({ id: 'abc', status: 'Pushed', current: 5, total: 5 }), { status: 'Pushed', progressDetail: {}, id: 'abc' });
  // Plain status lines, as dockerd's progress.Message: no progressDetail.
  assert.deepEqual(jsonMessage({ status: 'Digest: sha256:x' }), { status: 'Digest: sha256:x' });
  assert.deepEqual(jsonMessage({ id: 'latest', status: 'Pulling from library/busybox', message: true }), { status: 'Pulling from library/busybox', id: 'latest' });
  assert.deepEqual(jsonMessage({ id: 'abc', status: 'Pushing', current: 23_068_672, total: 52_428_800 }), {
    status: 'Pushing',
    progressDetail: { current: 23_068_672, total: 52_428_800 },
    progress: `[${'='.repeat(22)}>${' '.repeat(28)}]  23.07MB/52.43MB`,
    id: 'abc',
  });
  assert.equal(jsonMessage({ id: 'abc', status: 'Pushing', current: 512, total: 1000 })['progress'], `[${'='.repeat(25)}>${' '.repeat(25)}]     512B/1kB`);
  assert.deepEqual(jsonMessage({ status: '', aux: { tag: '1', digest: 'sha256:x', size: 5 } }), { progressDetail: {}, aux: { Tag: '1', Digest: 'sha256:x', Size: 5 } });
});
