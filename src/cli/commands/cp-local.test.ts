import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rebase, splitDirEntry } from './cp-local.js';
import { splitCpArg } from './cp.js';

test('cp arguments split as docker splits them', () => {
  assert.deepEqual(splitCpArg('c1:/etc'), { container: 'c1', path: '/etc' });
  assert.deepEqual(splitCpArg('/abs:path'), { container: '', path: '/abs:path' });
  assert.deepEqual(splitCpArg('./rel:x'), { container: '', path: './rel:x' });
  assert.deepEqual(splitCpArg('-'), { container: '', path: '-' });
});

test('SplitPathDirEntry and archive rebasing', () => {
  assert.deepEqual(splitDirEntry('/etc/passwd'), { dir: '/etc', base: 'passwd' });
  assert.deepEqual(splitDirEntry('/etc/'), { dir: '/', base: 'etc' });
  assert.deepEqual(splitDirEntry('/etc/.'), { dir: '/etc', base: '.' });
  assert.deepEqual(splitDirEntry('file'), { dir: '.', base: 'file' });
  assert.equal(rebase('etc/passwd', 'etc', 'copy'), 'copy/passwd');
  assert.equal(rebase('etc', 'etc', 'copy'), 'copy');
  assert.equal(rebase('', '.', 'copy'), 'copy');
  assert.equal(rebase('passwd', '.', 'copy'), 'copy/passwd');
});
