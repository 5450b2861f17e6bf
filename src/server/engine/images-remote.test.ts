import { test } from 'node:test';
import assert from 'node:assert/strict';
import { jsonMessage } from './images-remote.js';

test('progress events become Docker JSON messages', () => {
  assert.deepEqual(jsonMessage({ id: 'abc', status: 'Pulling fs layer' }), { status: 'Pulling fs layer', progressDetail: {}, id: 'abc' });
  const m = jsonMessage({ id: 'abc', status: 'Downloading', current: 1_500_000, total: 3_000_000 });
  assert.deepEqual(m['progressDetail'], { current: 1_500_000, total: 3_000_000 });
  // Docker's exact text: percentage/2 '=' then '>', numbers right-aligned in 8 columns (go-units HumanSize).
  assert.equal(m['progress'], `[${'='.repeat(25)}>${' '.repeat(25)}]    1.5MB/3MB`);
  assert.deepEqual(jsonMessage({ id: 'abc', status: 'Pushing', current: 23_068_672, total: 52_428_800 }), {
    status: 'Pushing',
    progressDetail: { current: 23_068_672, total: 52_428_800 },
    progress: `[${'='.repeat(22)}>${' '.repeat(28)}]  23.07MB/52.43MB`,
    id: 'abc',
  });
  assert.equal(jsonMessage({ id: 'abc', status: 'Pushing', current: 512, total: 1000 })['progress'], `[${'='.repeat(25)}>${' '.repeat(25)}]     512B/1kB`);
  assert.deepEqual(jsonMessage({ id: 'abc', status: 'Pushed' }), { status: 'Pushed', progressDetail: {}, id: 'abc' });
  assert.deepEqual(jsonMessage({ status: '', aux: { tag: '1', digest: 'sha256:x', size: 5 } }), { progressDetail: {}, aux: { Tag: '1', Digest: 'sha256:x', Size: 5 } });
});
