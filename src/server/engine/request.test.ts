import { test } from 'node:test';
import assert from 'node:assert/strict';
import { goFields, parseFilters } from './request.js';

test('filters in map and list form', () => {
  assert.deepEqual([...parseFilters('{"label":{"a=b":true},"status":["running"]}')], [
    ['label', ['a=b']],
    ['status', ['running']],
  ]);
  assert.equal(parseFilters(null).size, 0);
  assert.throws(() => parseFilters('{nope'), /invalid filter/);
  assert.throws(() => parseFilters('{"a":1}'), /must be a list or a map/);
});

test('goFields: exact names, else any case; later keys win; unknown keys kept', () => {
  assert.deepEqual(goFields({ detachkeys: 'a', Tty: true, Other: 1 }, ['DetachKeys', 'Tty']), { DetachKeys: 'a', Tty: true, Other: 1 });
  assert.deepEqual(goFields({ DetachKeys: 'a', detachKeys: 'b' }, ['DetachKeys']), { DetachKeys: 'b' });
});
