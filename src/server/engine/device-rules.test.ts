import { test } from 'node:test';
import assert from 'node:assert/strict';
import { parseDeviceCgroupRules } from './device-rules.js';

test('device cgroup rules in Docker syntax become typed allow rules; * means any number', () => {
  assert.deepEqual(parseDeviceCgroupRules(['c 42:0 rwm', 'b *:* m', 'a 7:* r', 'c 1:3 rw']), [
    { type: 'c', major: 42, minor: 0, access: 'rwm' },
    { type: 'b', access: 'm' },
    { type: 'a', major: 7, access: 'r' },
    { type: 'c', major: 1, minor: 3, access: 'rw' },
  ]);
  assert.deepEqual(parseDeviceCgroupRules(null), []);
  assert.deepEqual(parseDeviceCgroupRules(undefined), []);
});

test('a bad device cgroup rule is refused with dockerd message', () => {
  for (const bad of ['a', 'c 42:0', 'x 1:2 rwm', 'c 1:2 rwx', 'c  1:2 rwm', 'c 1:2 rwmr', 'c -1:2 r', 'c 1:a r']) {
    assert.throws(() => parseDeviceCgroupRules([bad]), { message: `invalid device cgroup rule format: '${bad}'` }, bad);
  }
  assert.throws(() => parseDeviceCgroupRules([99999999999]), { message: "invalid device cgroup rule format: '99999999999'" });
  assert.throws(() => parseDeviceCgroupRules(['c 99999999999:0 r']), { message: "invalid major value in device cgroup rule format: 'c 99999999999:0 r'" });
  assert.throws(() => parseDeviceCgroupRules('c 1:3 r'), /must be a list/);
});
