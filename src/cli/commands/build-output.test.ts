import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseOutput } from './build-output.js';

test('-o as buildx spells it: CSV key=value, DIR for local, - for a tar on stdout', () => {
  assert.deepEqual(parseOutput('out'), { type: 'local', dest: 'out' });
  assert.deepEqual(parseOutput('-'), { type: 'tar', dest: '-' });
  assert.deepEqual(parseOutput('type=local,dest=/tmp/x'), { type: 'local', dest: '/tmp/x' });
  assert.deepEqual(parseOutput('type=oci,dest=img.tar,name=app:1'), { type: 'oci', dest: 'img.tar', names: ['app:1'] });
  assert.deepEqual(parseOutput('type=image,name=app:2'), { type: 'image', names: ['app:2'] });
  assert.deepEqual(parseOutput('type=docker,dest=-'), { type: 'docker', dest: '-', names: [] });
  assert.throws(() => parseOutput('dest=x'), /type is required/);
  assert.throws(() => parseOutput('type=cacheonly'), /unsupported --output type "cacheonly"/);
  assert.throws(() => parseOutput('type=local,dest=-'), /needs a directory/);
  assert.throws(() => parseOutput('type=tar,dest=x,oops'), /"oops" is not key=value/);
});
