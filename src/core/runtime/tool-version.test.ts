import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseToolVersion } from './tool-version.js';

test('runc, crun and conmon --version outputs give the version and commit docker version shows', () => {
  assert.deepEqual(parseToolVersion('runc', 'runc version 1.1.5+ds1\ncommit: 1.1.5+ds1-1+deb12u1\nspec: 1.0.2-dev\ngo: go1.19.8\nlibseccomp: 2.5.4\n'), {
    name: 'runc', version: '1.1.5+ds1', gitCommit: '1.1.5+ds1-1+deb12u1',
  });
  assert.deepEqual(parseToolVersion('conmon', 'conmon version 2.1.6\ncommit: unknown\n'), { name: 'conmon', version: '2.1.6', gitCommit: '' });
  assert.deepEqual(parseToolVersion('crun', 'crun version 1.8.1\ncommit: f8a096be060b22ccd3d5f3ebe44108517fbf6c30\nrundir: /run/crun\nspec: 1.0.0\n+SYSTEMD +SELINUX'), {
    name: 'crun', version: '1.8.1', gitCommit: 'f8a096be060b22ccd3d5f3ebe44108517fbf6c30',
  });
  assert.equal(parseToolVersion('runc', 'usage: runc [options]'), undefined);
});
